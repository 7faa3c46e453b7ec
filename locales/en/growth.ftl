## Invite friends

invite-title = <b>👥 Invite friends</b>
invite-friend-gets = 🎁 A friend who joins through your link gets { $points } { $points ->
        [one] point
       *[other] points
    }.
invite-you-get-purchase = 💰 You get { $points } { $points ->
        [one] point
       *[other] points
    } when they make their first purchase.
invite-you-get-join = 💰 You get { $points } { $points ->
        [one] point
       *[other] points
    } as soon as they join.
invite-cap = Up to { $cap } { $cap ->
        [one] friend
       *[other] friends
    } in 30 days count.
invite-link = Your link: { $link }
invite-stats = Joined: { $joined } · made a purchase: { $bought } · points earned: { $points }
invite-share-button = 📤 Share the link
invite-renew-button = 🔄 New link (the old one stops working)
invite-renewed = Here is your new link. The old one no longer works.
invite-share-text = Join { $program }: earn points with every purchase.
invite-share-text-bonus = Join { $program } and get { $points } { $points ->
        [one] point
       *[other] points
    } as a welcome gift.
invite-forward = Hi! I collect points at { $program }. Join through my link: { $link }
invite-forward-bonus = Hi! I collect points at { $program }. Join through my link and get { $points } { $points ->
        [one] point
       *[other] points
    } as a welcome gift: { $link }

## Opening a friend's link

referral-invited-by = 👋 { $name } invited you to the program.
referral-invited-by-bonus = 👋 { $name } invited you: join and get { $points } { $points ->
        [one] point
       *[other] points
    } as a gift.
referral-joined-bonus = 🎁 For joining through { $name }'s invitation: { $points } { $points ->
        [one] point
       *[other] points
    }.
referral-refused-unknown = This invitation link does not work. You can still join the program.
referral-refused-revoked = This invitation link has been replaced by a newer one, so it brings no gift. You can still join the program.
referral-refused-self = This is your own invitation link: send it to friends, it brings points to them and to you.
referral-refused-member = You are already a member, so this invitation does not count: invitations are for people who have not joined yet.
referral-refused-cap = The friend who invited you has reached this month's limit of invitations, so this one brings no gift. You can still join the program.
referral-friend-joined = 🎉 { $name } joined through your link! You will get { $points } { $points ->
        [one] point
       *[other] points
    } after their first purchase.
referral-friend-joined-paid = 🎉 { $name } joined through your link: { $points } { $points ->
        [one] point is
       *[other] points are
    } yours.
referral-friend-joined-plain = 🎉 { $name } joined through your link!
referral-friend-bought-paid = 🎉 { $name }, whom you invited, made their first purchase: { $points } { $points ->
        [one] point is
       *[other] points are
    } yours.

## Achievements

balance-achievements = 🏆 Achievements: { $names }
achievement-new = 🏆 New achievement: { $names }!
achievement-first-purchase = 🥇 First purchase
achievement-visits = 🔁 { $visits } visits
achievement-first-quiz = 🎯 First quiz
achievement-friend-invited = 🤝 Friend invited
achievement-tier-reached = 🏅 New tier

## Quizzes for members

quizzes-title = <b>🎯 Quizzes</b>
quizzes-none = No quizzes right now. Look in here again soon!
quizzes-line = 🎯 <b>{ $title }</b>: { $questions } { $questions ->
        [one] question
       *[other] questions
    }, { $points } { $points ->
        [one] point
       *[other] points
    } for each right answer{ $bonus }. Until { $until }.
quizzes-line-bonus = { " " }and { $points } for finishing
quizzes-line-done = ✅ <b>{ $title }</b>: { $correct } of { $total } right, { $points } { $points ->
        [one] point
       *[other] points
    }.
quizzes-start-button = ▶️ { $title }
quizzes-continue-button = ⏯ { $title } ({ $answered }/{ $total })
quiz-question = <b>{ $title }</b> · question { $number } of { $total }

    { $text }
quiz-your-answer = Your answer: { $answer }
quiz-right = ✅ Right!
quiz-wrong = ❌ Not quite. The right answer: <b>{ $answer }</b>
quiz-right-short = ✅ Right!
quiz-wrong-short = ❌ Not quite
quiz-already-answered = You have already answered this question.
quiz-result = <b>{ $title }: done!</b> Right answers: { $correct } of { $total }.
quiz-result-points = 🎁 { $points } { $points ->
        [one] point is
       *[other] points are
    } on your balance.
quiz-result-no-points = No points this time: better luck with the next quiz!
quiz-unavailable-unknown = This quiz is no longer available.
quiz-unavailable-closed = This quiz is closed.
quiz-unavailable-not-started = This quiz has not started yet.

## Writing quizzes

quiz-new-title = <b>A new quiz.</b> What is its title? (up to { $max } characters)
    You can also send a quiz as a .yaml or .json file. /cancel stops.
quiz-new-starts = The first day of the quiz? For example { $example }.
quiz-new-ends = And the last day? For example { $example }.
quiz-date-invalid = I need a date like { $example }.
quiz-new-points = Points for each right answer (0 to { $max })?
quiz-new-bonus = A completion bonus: points for answering every question (0 for none, at most { $max }).
quiz-new-number-invalid = Please type a whole number from 0 to { $max }.
quiz-new-question = Question { $number }: type its text (up to { $max } characters).
quiz-new-options = The answer options for question { $number }: { $min } to { $max }, one per line, up to { $length } characters each.
quiz-new-correct = Which one is right?
quiz-new-correct-number = Tap the right option, or type its number (1 to { $count }).
quiz-new-more = { $saved ->
        [one] { $saved } question is saved.
       *[other] { $saved } questions are saved.
    } Type question { $number }, or finish.
quiz-new-full = That is the most a quiz can hold ({ $max } questions). Finish to save it.
quiz-new-finish-button = ✅ Finish and save
quiz-new-cancelled = Stopped. Nothing was saved.
quiz-saved = 📝 Saved as a draft. Check it, then publish:
quiz-file-problems = <b>{ $count ->
        [one] The file has a problem
       *[other] The file has { $count } problems
    }</b>, nothing was saved:
quiz-file-more = …and { $count } more.

## Problems with a quiz

quiz-problem-line = line { $line }: { $problem }
quiz-problem-title = the title must be 1 to { $max } characters of text.
quiz-problem-number = { $key } must be a whole number from { $min } to { $max }.
quiz-problem-date = { $key } must be a date like 2026-12-01 or 01.12.2026.
quiz-problem-dates-order = the last day comes before the first one.
quiz-problem-ends-past = the last day has already passed.
quiz-problem-too-long = a quiz can run at most { $days } days.
quiz-problem-questions-count = questions must be a list of 1 to { $max } questions.
quiz-problem-question-mapping = question { $number } needs question, options and correct.
quiz-problem-question-text = question { $number } needs a text of 1 to { $max } characters.
quiz-problem-options = question { $number } needs { $min }–{ $max } options.
quiz-problem-option-text = option { $option } of question { $number } must be 1 to { $max } characters.
quiz-problem-options-repeat = question { $number } has the same option twice.
quiz-problem-correct = question { $number }: correct must be an option number from 1 to { $count }, or the text of an option.
quiz-problem-missing = { $key } is missing.
quiz-problem-unknown-key = unknown key { $key } (known: { $known }).
quiz-problem-duplicate-key = { $key } appears twice.
quiz-problem-not-mapping = the file must hold title, points_per_correct, starts, ends and questions.
quiz-problem-syntax = column { $column }: this is not valid { $format }.
quiz-problem-encoding = the file must be UTF-8 text.
quiz-problem-file-type = send a .yaml, .yml or .json file.
quiz-problem-file-size = the file is larger than { $kb } KB.

## Running quizzes

quizzes-admin-title = <b>Quizzes</b>
quizzes-admin-empty = No quizzes yet. /quiz writes one; or send a .yaml or .json file.
quizzes-admin-line = #{ $id } <b>{ $title }</b> · { $state } · { $dates } · finished: { $finished }
quiz-state-draft = draft
quiz-state-scheduled = published, not started yet
quiz-state-open = open
quiz-state-ended = ended
quiz-state-closed = closed
quiz-preview-button = 👁 #{ $id } { $title }
quiz-preview-head = <b>#{ $id } { $title }</b>
    { $state } · { $dates }
    { $points } { $points ->
        [one] point
       *[other] points
    } per right answer, completion bonus { $bonus }
    Started: { $attempts }, finished: { $finished }
quiz-preview-question = <b>{ $number }. { $text }</b>
quiz-preview-option = { $mark } { $option }
quiz-publish-button = 📣 Publish
quiz-close-button = ⏹ Close
quiz-discard-button = 🗑 Discard
quiz-published = Published for { $dates }.
quiz-closed-now = Closed.
quiz-unchanged = Already done.
quiz-status-now = #{ $id } { $title }: { $state }.
quiz-error-unknown = No such quiz.
quiz-error-closed = This quiz is closed.
quiz-error-ended = Its last day has passed, so it can't be published. Write a new one.
