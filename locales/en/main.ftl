## Joining

start-greeting = Hi, { $name }! This is { $program }, our loyalty program.
start-explain =
    Earn points with every purchase and pay with them next time; collect stamps for free treats.
    Your card is a QR code in this chat: show it at the counter.
consent-prompt = To join, please agree to the processing of your personal data: your name, Telegram ID, phone number if you share it, and your purchases in the program. You can leave at any time.
consent-button = ✅ I agree, join
consent-done = Welcome to { $program }! You are a member now.
consent-already = You are already a member.
welcome-bonus = 🎁 A welcome gift: { $points } { $points ->
        [one] point
       *[other] points
    } on your balance.
phone-ask = Share your phone number so the staff can find you by it. This is optional.
phone-share-button = 📱 Share my phone number
phone-skip-button = Skip
phone-saved = Thanks, your number is saved.
phone-not-own = Please share your own number with the button below.
phone-skipped = No problem, you can add it later.

## Main menu

menu-card = 💳 My card
menu-balance = 💰 Balance & history
menu-invite = 👥 Invite friends
menu-quizzes = 🎯 Quizzes
menu-settings = ⚙️ Settings
menu-help = ❓ Help
menu-shown = What would you like to do? Use the menu below.
menu-placeholder = Choose an action

cmd-start = Open the main menu
cmd-card = Show my QR card
cmd-balance = Balance and history
cmd-settings = Language and notifications
cmd-help = How the program works
cmd-mydata = Get a copy of my data
cmd-delete = Delete my data

## Card

card-caption = Show this QR at the counter. It is valid until { $time }.
card-caption-forever = Show this QR at the counter.
card-code-hint = Code for the cashier
card-points = { $points ->
        [one] point
       *[other] points
    }
card-stamps = Stamps: { $stamps } of { $needed }
card-valid-until = Valid until { $time }
card-refresh-button = 🔄 Refresh QR
card-refreshed = A fresh QR code is ready.
card-is-member-card = This is a member's loyalty card. It works when a staff member scans it at the counter.

## Balance and history

balance-title = <b>Your balance: { $points } { $points ->
        [one] point
       *[other] points
    }</b>
balance-tier = Tier: { $tier } · { $cashback }% back in points
balance-stamps = Stamps: { $stamps } of { $needed } · { $left ->
        [0] your { $reward } is waiting for you!
        [one] { $left } more visit to { $reward }
       *[other] { $left } more visits to { $reward }
    }
balance-expiry = ⏳ { $points } { $points ->
        [one] point expires
       *[other] points expire
    } on { $date }
balance-history = <b>History</b> (page { $page } of { $pages }):
balance-no-history = No operations yet. Show your card at the counter to start earning.
history-line = { $date } · { $delta } · { $kind }{ $reason }
history-prev = ◀ Newer
history-next = Older ▶
kind-earn = purchase cashback
kind-bonus = bonus
kind-redeem = paid with points
kind-expire = expired
kind-adjust = correction
kind-reversal = cancellation

## Settings

settings-title = <b>Settings</b>
settings-language = Language: English
settings-promo-on = Offers and news: on
settings-promo-off = Offers and news: off
settings-language-button = 🌐 Русский
settings-promo-turn-off = 🔕 Turn off offers
settings-promo-turn-on = 🔔 Turn on offers
settings-language-changed = Language changed to English.
settings-promo-changed-on = You will get our offers and news.
settings-promo-changed-off = No more offers. Receipts and notices about your points still come.

## Help

help-text =
    <b>How { $program } works</b>

    💳 Show your QR card at the counter (menu → My card) or tell the cashier your code.
    💰 Every purchase earns { $base_cashback }% back in points; 1 point = { $point_value }.
    🏅 Tiers raise the cashback: { $tiers }.
    ✂️ Points can pay up to { $max_redeem }% of a purchase.
help-stamps = ☕ Stamps: every { $needed ->
        [one] visit
       *[other] { $needed } visits
    }{ $min_purchase } bring { $reward }.
help-stamps-min = { " " }from { $amount }
help-lifetime = ⏳ Points last { $days ->
        [one] { $days } day
       *[other] { $days } days
    } from the day they are earned.
help-lifetime-forever = ⏳ Points never expire.
help-tier = { $name } { $cashback }% ({ $rule })
help-tier-rule = from { $purchases ->
        [one] { $purchases } purchase
       *[other] { $purchases } purchases
    } or { $spend } within { $days } days

## Fallbacks

unknown-input = I didn't understand that. Use the menu below, or /help.
join-first = You are not in the program yet. Join with one tap:
stale-button = This button is no longer active.
error-generic = Sorry, something went wrong on our side. We are on it. Error code: { $error_id }.
cmd-staff = Staff mode: serve customers
cmd-invite = Invite staff or a marketer
cmd-team = Your team
cmd-quiz = Create a quiz
cmd-quizzes = Quizzes: preview, publish, close
cmd-jobs = Scheduled jobs: last runs
cmd-birthday = Change a member's birthday
cmd-broadcast = New broadcast to members
cmd-broadcasts = Broadcasts: progress and results
cmd-stats = Statistics, chart and exports
