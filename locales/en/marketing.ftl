## What members see under a promotional message

broadcast-unsubscribe = 🔕 Unsubscribe
broadcast-quiz-play = 🧩 Play the quiz
broadcast-quiz-title = 🧩 <b>New quiz: { $title }</b>
broadcast-quiz-body = { $questions } { $questions ->
        [one] question
       *[other] questions
    }, { $points } { $points ->
        [one] point
       *[other] points
    } for each right answer. Open until { $until }.
broadcast-quiz-bonus = 🎁 Plus { $points } { $points ->
        [one] point
       *[other] points
    } for finishing it.

unsubscribe-done = 🔕 You won't get promotional messages any more. Receipts and notices about your points still come. To turn offers back on: ⚙️ Settings.
unsubscribe-done-short = Unsubscribed
unsubscribe-already = Promotional messages are already off. Settings turns them back on.
unsubscribe-not-member = This button unsubscribes members from promotional messages.

## Composing a broadcast

broadcast-ask-message = 📣 <b>New broadcast</b>
    Send the message members will get: text (with formatting, links, emoji), or a photo, video, GIF, document or audio with a caption. It goes out exactly as you send it.
    /cancel to stop.
broadcast-ask-message-again = Send the message itself (text, photo, video, GIF, document or audio), or /cancel.
broadcast-ask-button = Add a button with a link under it? Send the label and the link, e.g. <code>Book a table | https://example.com/book</code>, or tap “No button”.
broadcast-no-button = No button
broadcast-button-invalid = That's not a button. Send the label (up to { $limit } characters) and a link starting with https://, e.g. <code>Menu | https://example.com/menu</code>.
broadcast-stale = This step is over. Start again with /broadcast.
broadcast-discarded = Broadcast discarded.

broadcast-audience-title = <b>👥 Who gets it</b> (filters combine: all of them must match)
broadcast-audience-count = Members matching: { $matching } · will receive it: <b>{ $recipients }</b>
broadcast-audience-left-out = Left out: promotional messages off { $opted_out }, blocked the bot { $unreachable }, weekly limit reached { $capped }
broadcast-segment-everyone = • All members
broadcast-segment-tiers = Tier: { $tiers }
broadcast-segment-languages = Language: { $languages }
broadcast-segment-inactive = No purchase for { $days } { $days ->
        [one] day
       *[other] days
    } or more
broadcast-segment-joined = Joined in the last { $days } { $days ->
        [one] day
       *[other] days
    }
broadcast-segment-expiring = Points expiring within { $days } { $days ->
        [one] day
       *[other] days
    }
broadcast-segment-birthday = Birthday this month
broadcast-segment-never = Never made a purchase
broadcast-language-ru = Русский
broadcast-language-en = English
broadcast-filter-inactive-days = { $days ->
        [0] 😴 Inactive for N days…
       *[other] 😴 Inactive { $days }+ d ✅
    }
broadcast-filter-joined-days = { $days ->
        [0] 🆕 Joined in the last N days…
       *[other] 🆕 Joined ≤ { $days } d ✅
    }
broadcast-filter-expiring-days = { $days ->
        [0] ⏳ Points expiring within N days…
       *[other] ⏳ Expiring ≤ { $days } d ✅
    }
broadcast-filter-birthday = 🎂 Birthday this month
broadcast-filter-never = 🛍 Never purchased
broadcast-filter-everyone = All members
broadcast-ask-inactive-days = Members with no purchase for how many days? Send a number (for example 60), or 0 to remove this filter.
broadcast-ask-joined-days = Members who joined within how many days? Send a number (for example 30), or 0 to remove this filter.
broadcast-ask-expiring-days = Members whose points expire within how many days? Send a number (for example 14), or 0 to remove this filter.
broadcast-days-invalid = Send a whole number of days from 1 to 3650, or 0 to remove the filter.
broadcast-preview = 👁 Preview
broadcast-discard = ✖️ Discard

broadcast-preview-above = 👆 This is exactly what members will get.
broadcast-recipients = It will go to <b>{ $recipients }</b> { $recipients ->
        [one] member
       *[other] members
    }.
broadcast-nobody = Nobody would receive it: change the audience.
broadcast-quiet-now = 🌙 It's quiet hours now: sending will start at { $start }.
broadcast-send-now = 🚀 Send now
broadcast-schedule = 🕒 Schedule
broadcast-change-audience = 👥 Change the audience
broadcast-ask-when = When should it go out? Send the date and time, e.g. <code>25.12.2026 12:00</code> (time zone { $zone }).
broadcast-when-invalid = Send the date and time like <code>25.12.2026 12:00</code> or <code>25.12 12:00</code> (time zone { $zone }).
broadcast-when-out-of-range = Pick a moment in the future, within a year from now.
broadcast-when-quiet = That falls in the quiet hours ({ $start }–{ $end }), when no promotional messages go out. Pick another time.
broadcast-starting = 🚀 Broadcast #{ $id } is starting. Its progress will appear below.
broadcast-starts-after-quiet = 🌙 Broadcast #{ $id } will start at { $start }, when quiet hours end.
broadcast-scheduled = 🕒 Broadcast #{ $id } is scheduled for { $at }.
broadcast-cancel-scheduled = ✖️ Cancel broadcast #{ $id }

## Progress and controls

broadcast-status-scheduled = scheduled
broadcast-status-sending = sending
broadcast-status-paused = paused
broadcast-status-cancelled = cancelled
broadcast-status-done = finished
broadcast-progress-head = 📣 <b>Broadcast #{ $id }</b> · { $status }
    { $summary }
broadcast-progress-counts = Processed { $handled } of { $total } · delivered { $sent }
broadcast-progress-eta = { $rate } messages a second · about { $eta } left
broadcast-progress-quiet = 🌙 Quiet hours: sending resumes at { $start }
broadcast-progress-attribution = Purchases within { $days } { $days ->
        [one] day
       *[other] days
    } of receiving it: /broadcasts
broadcast-eta-minutes = { $minutes } min
broadcast-eta-seconds = { $seconds } s
broadcast-pause = ⏸ Pause
broadcast-resume = ▶️ Resume
broadcast-cancel = ✖️ Cancel
broadcast-paused-now = Broadcast #{ $id } paused
broadcast-resumed-now = Broadcast #{ $id } resumed
broadcast-cancelled-now = Broadcast #{ $id } cancelled
broadcast-cancelled-here = ✖️ Broadcast #{ $id } is cancelled.
broadcast-control-refused = Not possible: the broadcast is { $status }.
broadcast-tally = ✅ Delivered { $sent } · 🚫 blocked { $blocked } · ⚠️ failed { $failed } · 🔕 opted out { $opted_out } · ⏱ weekly limit { $capped }

## The report

broadcasts-empty = No broadcasts yet. /broadcast composes one.
broadcasts-title = 📣 <b>Latest broadcasts</b> (purchases counted within { $days } { $days ->
        [one] day
       *[other] days
    } of receiving one)
broadcasts-line = <b>#{ $id }</b> · { $when } · { $status }
    { $summary }
broadcasts-recipients = Recipients: { $total }
broadcasts-cancelled = Not sent (cancelled): { $left }
broadcasts-purchased = 🛒 Bought within { $days } { $days ->
        [one] day
       *[other] days
    }: { $buyers }

## Statistics

stats-period-days = the last { $days } days
stats-period-all = all time
stats-title = 📊 <b>Statistics</b> · { $period }
stats-members = 👥 <b>Members</b>: { $members } · new this week { $week }, this month { $month }, in the period { $period_new }
stats-engagement = Bought at least once: { $buyers } ({ $share }) · active in the last 30 days: { $active }
stats-purchases = 🛒 <b>Purchases</b>: { $purchases } by { $buyers } { $buyers ->
        [one] member
       *[other] members
    } · repeat purchase rate { $repeat }
stats-money = Average check { $check } · revenue { $revenue } · LTV (spend per member, all time) { $ltv }
stats-points = 💎 <b>Points</b>: earned { $earned } · redeemed { $redeemed } ({ $rate }) · expired { $expired }
stats-liability = Outstanding: { $points } { $points ->
        [one] point
       *[other] points
    } = { $money } owed to members
stats-referrals = 👋 <b>Referrals</b>: { $joined } joined by invitation · { $points } points paid
stats-quizzes = 🧩 <b>Quizzes</b>: { $players } { $players ->
        [one] member
       *[other] members
    } took part ({ $share }) · attempts { $attempts }, finished { $finished }
stats-button-days = { $days } days
stats-button-all = All time
stats-button-chart = 📈 Chart
stats-button-members = ⬇️ Members (CSV)
stats-button-operations = ⬇️ Operations (CSV)
stats-preparing = Preparing…
stats-chart-caption = 📈 New members, purchases and redemptions by week; monthly cohort retention.
stats-members-file = ⬇️ Members: what they gave the program themselves.
stats-operations-file = ⬇️ Operations: { $period }.
chart-weekly-title = By week
chart-new-members = New members
chart-purchases = Purchases
chart-redemptions = Paid with points
chart-cohorts-title = Retention: share of each month's new members buying in the months after
chart-cohort-axis = Joined in
chart-month-axis = Months after joining
chart-size = members:
chart-empty = No members joined in these months yet
