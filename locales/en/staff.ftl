## Roles and invitations

role-refused = Sorry, this is for the staff only.
invite-usage = Send /invite staff or /invite marketer.
invite-created = Invitation for a { $role }: send this link to the person. It works once, within 24 hours.
    { $link }
invite-accepted = Welcome to the team! You are a { $role } now.{ $hint }
invite-accepted-staff-hint = { " " }Send /staff to start serving customers.
invite-accepted-marketer-hint = { " " }Marketing tools are coming soon.
invite-owner-told = { $name } accepted your invitation and is a { $role } now.
invite-unknown = This invitation link is not valid.
invite-used = This invitation has already been used.
invite-expired = This invitation has expired. Ask the owner for a new one.
invite-owner-self = You are an owner already: no invitation needed.
role-name-staff = staff member
role-name-marketer = marketer
role-name-owner = owner
team-title = <b>Your team</b>
team-empty = No staff or marketers yet. Invite them with /invite staff or /invite marketer.
team-line = { $name } · { $role } · since { $date }
team-ops-button = 🧾 { $name }
team-revoke-button = ✖ Revoke { $name }
team-revoked = { $name } no longer has access.
team-revoked-notice = Your staff access has been revoked by the owner.
team-not-found = This person is no longer on the team.
team-ops-title = <b>Last operations by { $name }</b>
team-ops-empty = No operations yet.

## Staff mode

staff-mode-on =
    <b>Staff mode is on.</b>
    To find a customer: point your phone's camera at their QR (Telegram opens it here), send a photo of the QR, or type their 8-character code.
staff-mode-off = Staff mode is off.
staff-btn-scan = 📷 Scan a photo
staff-btn-code = ⌨️ Enter a code
staff-btn-recent = 🧾 Recent operations
staff-btn-exit = 🚪 Exit staff mode
staff-scan-hint = Send a photo of the customer's QR code, or point the phone camera at it.
staff-code-ask = Type the customer's code (8 characters, like ABCD-EFGH).
staff-not-in-mode = Turn on staff mode first: /staff

## Finding the member

lookup-expired = This QR code has expired. Ask the customer to tap "Refresh QR" on their card.
lookup-forged = This is not a valid member card.
lookup-revoked = This card was replaced by a newer one. Ask the customer to open their card again.
lookup-malformed = This is not a member code. It has 8 letters and digits, like ABCD-EFGH.
lookup-unknown = No member has this code.
lookup-unreadable = Couldn't read a QR code in this photo. Try again closer and in focus, or type the code.
staff-view =
    👤 <b>{ $name }</b> · { $code }
    Tier: { $tier } ({ $cashback }%)
    Balance: <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    }
staff-view-stamps = Stamps: { $stamps } of { $needed }
staff-view-stamps-full = Stamps: { $stamps } of { $needed } · 🎁 reward due!
staff-view-recent = Last operations:
staff-btn-purchase = 🛒 Purchase
staff-btn-redeem = 💳 Pay with points
staff-btn-reward = 🎁 Give { $reward }

## Operations

staff-amount-ask = Purchase amount for { $name }, in { $currency } (like 1250 or 1 250,50):
staff-amount-ask-redeem = Purchase amount for { $name } to pay partly with points, in { $currency }:
staff-amount-invalid = That's not an amount. Type a number like 1250 or 1 250,50.
staff-amount-range = The amount must be from 0,01 to { $max }.
staff-confirm-purchase =
    <b>Purchase { $amount }</b> for { $name }
    Points to earn: +{ $points }{ $stamp }
    Confirm?
staff-confirm-stamp = { " " }· a stamp
staff-confirm-redeem =
    <b>Purchase { $amount }</b> for { $name }
    Pay with points: −{ $points } (max { $max_share }% of the check)
    To pay in money: <b>{ $to_pay }</b>
    Points to earn: +{ $earn }{ $stamp }
    Confirm?
staff-confirm-reward = Give { $reward } to { $name }? The stamp card starts again.
staff-no-points = { $name } has no points to pay with for this purchase.
staff-btn-confirm = ✅ Confirm
staff-btn-abort = ✖ Cancel
staff-aborted = Cancelled: nothing was recorded.
staff-done-purchase = ✅ Purchase { $amount } recorded: +{ $points } { $points ->
        [one] point
       *[other] points
    }. Balance { $balance }, stamps { $stamps }.{ $tier_up }
staff-done-redeem = ✅ Purchase { $amount }: −{ $redeemed } { $redeemed ->
        [one] point
       *[other] points
    }, +{ $points } earned, to pay { $to_pay }. Balance { $balance }.{ $tier_up }
staff-done-reward = ✅ { $reward } given. Stamps now: { $stamps }.
staff-tier-up = { " " }🏅 New tier: { $tier }!
staff-held = ⏸ Held for the owner's approval ({ $reason }). The customer gets points once it is approved.
staff-awaiting-member = ⏳ The customer was asked to confirm paying with points in their Telegram. You will get a message when they do.
staff-error-points = Not enough points now: the balance changed. Look the customer up again.
staff-error-stamps = The stamp card is not full.
staff-error-gone = This customer is no longer in the program.
staff-btn-cancel-op = ↩️ Cancel operation #{ $id }
staff-cancelled = ↩️ Operation #{ $id } cancelled. Balance { $balance }.
staff-cancel-window = It's too late to cancel: the window is { $minutes } minutes. Ask the owner.
staff-cancel-spent = Can't cancel: the customer has already spent these points.
staff-cancel-status = This operation can't be cancelled.
staff-cancel-not-yours = Only the person who recorded it, or an owner, can cancel it.
staff-recent-title = <b>Your recent operations</b>
staff-recent-empty = No operations yet.
op-line = #{ $id } · { $time } · { $kind } · { $amount } · { $status }
op-kind-purchase = purchase
op-kind-redeem = purchase with points
op-kind-reward = reward
op-status-done = done
op-status-held = held
op-status-awaiting = awaiting customer
op-status-declined = declined
op-status-cancelled = cancelled
hold-big_amount = large amount
hold-member_daily = too many purchases today
hold-staff_hourly = too many operations this hour
staff-decided-approved = ✅ The owner approved operation #{ $id }.
staff-decided-declined = ✖ The owner declined operation #{ $id }.
staff-member-confirmed = ✅ The customer confirmed operation #{ $id }.
staff-member-declined = ✖ The customer declined paying with points (operation #{ $id }).

## What the member receives

receipt-purchase =
    🧾 <b>Purchase { $amount }</b>
    +{ $points } { $points ->
        [one] point
       *[other] points
    }{ $stamp }
receipt-redeem =
    🧾 <b>Purchase { $amount }</b>
    Paid with points: −{ $redeemed }, in money: { $to_pay }
    Earned: +{ $points }
receipt-reward = 🎁 Enjoy { $reward }! Your stamp card starts again.
receipt-stamp = { " " }· a stamp
receipt-footer = Balance: <b>{ $balance }</b> · stamps { $stamps } of { $needed } · tier { $tier }
receipt-tier-up = 🏅 Congratulations, your new tier is { $tier }: { $cashback }% back in points!
receipt-cancelled = ↩️ Operation #{ $id } was cancelled. Balance: <b>{ $balance }</b>.
receipt-not-me-button = ⚠️ Not me
receipt-not-me-thanks = Thank you. The owner has been told and will look into it.
member-confirm-ask =
    Pay <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    } for a purchase of { $amount }? You'll pay { $to_pay } in money.
member-confirm-yes = ✅ Yes, pay with points
member-confirm-no = ✖ No
member-confirm-declined = OK, your points stay on your balance.
member-confirm-stale = This request is no longer active.

## Owner alerts

owner-held =
    ⏸ <b>Operation #{ $id } is held</b> ({ $reason })
    { $kind } { $amount } for { $member } by { $staff }
owner-btn-approve = ✅ Approve
owner-btn-decline = ✖ Decline
owner-approved = ✅ Approved operation #{ $id }.
owner-declined = ✖ Declined operation #{ $id }.
owner-decided-already = This operation was already decided.
owner-not-me =
    ⚠️ <b>{ $member } says operation #{ $id } was not them.</b>
    { $kind } { $amount } by { $staff }, { $time }.
