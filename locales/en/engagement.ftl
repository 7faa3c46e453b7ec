## Birthday offer

birthday-greeting = 🎂 <b>Happy birthday, { $name }!</b>
birthday-greeting-soon = 🎂 <b>{ $name }, your birthday is coming up on { $date }!</b> Happy early birthday.
birthday-gift-points = 🎁 Our gift: { $points } { $points ->
        [one] point
       *[other] points
    }, already on your balance.
birthday-gift-coupon = 🎟 And a { $percent }% discount coupon, valid through { $until }.
offer-how-to-use = Show your card at the counter (menu → My card): the cashier will see your gift.
reason-birthday = birthday
reason-winback = welcome back gift

## Birthday in Settings

settings-birthday = Birthday: { $date }
settings-birthday-none = Birthday: not set. Add it and we'll celebrate with a gift
settings-birthday-button = 🎂 Birthday
birthday-ask = When is your birthday? Type the date as DD.MM or DD.MM.YYYY, like 25.04 or 25.04.1990. Only an administrator can change it later.
birthday-invalid-format = That doesn't look like a date. Type DD.MM or DD.MM.YYYY, like 25.04 or 25.04.1990.
birthday-invalid-no-such-date = There's no such date in the calendar. Check the day and the month.
birthday-invalid-future = That date hasn't come yet. Check the year.
birthday-invalid-too-old = Check the year: that makes more than 120 years.
birthday-confirm = Is your birthday <b>{ $date }</b>? Only an administrator can change it later.
birthday-confirm-yes = ✅ Yes, save it
birthday-confirm-retry = ✏️ Type it again
birthday-saved = Done! We'll celebrate with you on { $date }.
birthday-saved-next-year = Your birthday is less than { $days ->
        [one] { $days } day
       *[other] { $days } days
    } away, so this year's gift isn't available. See you next year!
birthday-locked = Your birthday is saved already: { $date }. Only an administrator can change it: ask us at the counter.

## Points expiry

expiry-notice = ⌛ { $points } unused { $points ->
        [one] point has
       *[other] points have
    } expired. Balance: { $balance }.
expiry-reminder-title = ⏳ <b>Points expiring soon</b>
expiry-reminder-line = • { $points } { $points ->
        [one] point expires
       *[other] points expire
    } on { $date }, { $days ->
        [one] { $days } day left
       *[other] { $days } days left
    }
expiry-reminder-how = Spend them: show your card at the counter. Points pay up to { $max_share }% of a purchase.

## Win-back

winback-greeting = 👋 <b>{ $name }, it's been a while!</b> We miss you, and we have a gift for your return.
winback-gift-points = 🎁 { $points } { $points ->
        [one] point
       *[other] points
    }, already on your balance.
winback-gift-coupon = 🎟 A { $percent }% discount coupon, valid through { $until }.

## Coupons

balance-coupon = 🎟 Coupon −{ $percent }% ({ $kind }) until { $until }: show your card at the counter
coupon-kind-birthday = birthday
coupon-kind-winback = welcome back
staff-view-coupon = 🎟 Coupon −{ $percent }% ({ $kind }), until { $until }
staff-btn-coupon = 🎟 Redeem coupon −{ $percent }%
coupon-redeemed = 🎟 Coupon −{ $percent }% for { $name } redeemed. Give the discount at the till.
coupon-refused-used = This coupon has been used already.
coupon-refused-expired = This coupon has expired.
coupon-refused-not-yet = This coupon isn't valid yet.
coupon-refused-unknown = There is no such coupon.

## Owners: jobs and birthdays

jobs-title = <b>Scheduled job runs</b>
jobs-job = <b>{ $job }</b>
jobs-line = { $time } · { $status } · members: { $members } · messages: { $messages }{ $undelivered ->
        [0] {""}
       *[other] {" "}· undelivered: { $undelivered }
    } · errors: { $errors }
jobs-never = not run yet
job-name-expire = Points expiry
job-name-expiry-reminders = Expiry reminders
job-name-birthday = Birthdays
job-name-winback = Win-back
job-status-ok = done
job-status-failed = failed
job-status-busy = running in another instance
job-status-quiet = quiet hours, postponed
job-status-disabled = off
job-status-running = running
job-status-interrupted = interrupted
birthday-owner-usage = Send /birthday CODE DD.MM or /birthday CODE DD.MM.YYYY, where CODE is the member's card code (like ABCD-EFGH). /birthday CODE - removes the date.
birthday-owner-unknown = No member has this code.
birthday-owner-set = Birthday of { $name } ({ $code }): { $date }.
birthday-owner-cleared = Birthday of { $name } ({ $code }) removed: the member may enter it again.
card-coupon = Coupon −{ $percent }% until { $until }
