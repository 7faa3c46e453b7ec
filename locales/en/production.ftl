## Flood control

flood-slow-down = You are sending messages very fast. Please wait a few seconds: messages sent meanwhile are not processed.

## Your data: /mydata and /delete

privacy-nothing-stored = We store no data about you: you have not joined the program.
privacy-export-caption = Your data in the program: your profile, consent time, { $entries } { $entries ->
        [one] ledger entry
       *[other] ledger entries
    } and { $operations } { $operations ->
        [one] operation
       *[other] operations
    }.
privacy-delete-confirm = <b>Delete your data?</b>
    Your name, username, phone number, birthday and Telegram ID will be erased, and your card will stop working. { $points ->
        [0] Your balance is empty.
        [one] Your { $points } point will be lost.
       *[other] Your { $points } points will be lost.
    }
    The record of your purchases stays, without your name: the business has to keep its accounts.
privacy-delete-yes = 🗑 Yes, delete my data
privacy-delete-no = Cancel
privacy-delete-cancelled = Nothing was deleted.
privacy-deleted = Your data has been deleted. Thank you for being with us.
privacy-goodbye = If you want to come back, send /start: you will join as a new member.
privacy-already-deleted = This data has already been deleted.
