## Locations: the branches of a chain

cmd-locations = Locations (branches)
locations-title = 📍 <b>Locations</b> (operations done today · in the last 30 days)
locations-empty =
    No locations yet. A single shop needs none.
    A chain adds one per branch: staff then belong to one, every operation records where it happened, and /stats shows each branch.
locations-line = <b>{ $name }</b> · { $people } { $people ->
        [one] person
       *[other] people
    } · today { $today } · 30 days { $recent }
locations-line-unassigned = <i>Without a location</i> · today { $today } · 30 days { $recent }
locations-btn-add = ➕ Add a location
locations-btn-mine = 📍 Where I work
locations-btn-rename = ✏️ { $name }
locations-btn-archive = 🗄 Archive { $name }
locations-btn-archive-yes = 🗄 Yes, archive
locations-btn-archive-no = ✖ No
locations-btn-none = No specific location
locations-ask-name = Send the new location's name (up to { $max } characters), or /cancel.
locations-ask-rename = Send the new name for { $name } (up to { $max } characters), or /cancel.
locations-name-invalid = The name must be 1 to { $max } characters long and not start with “/”. Try another, or /cancel.
locations-name-taken = There is already a location named { $name }. Try another name, or /cancel.
locations-name-taken-archived = The archived location { $name } keeps this name. Try another name, or /cancel.
locations-added = ✅ Location { $name } added.
locations-renamed = ✅ { $old } is now called { $name }.
locations-cancelled = Cancelled: nothing changed.
locations-gone = This location no longer exists or has been archived.
locations-archive-ask =
    Archive <b>{ $name }</b>? Its operations stay in the history and the statistics, but it gets no new staff or API keys.{ $people ->
        [0] {""}
        [one] { " " }1 person working there will have no location until you move them in /team.
       *[other] { " " }{ $people } people working there will have no location until you move them in /team.
    }
locations-archived = 🗄 { $name } is archived.
locations-archive-kept = { $name } stays as it is.
locations-ask-mine = Where do you work when you serve at the counter? Your operations are recorded there.
locations-mine-at = 📍 Your operations are recorded at { $location } now.
locations-mine-none = 📍 Your operations are recorded without a location now.

## Invitations and the team

locations-invite-ask = Which location will the new staff member work at?
locations-invite-at = 📍 Location: { $location }
locations-team-at = 📍 { $location }
locations-team-nowhere = 📍 no location
locations-btn-move = 📍 Move { $name }
locations-move-ask = Where does { $name } work now?
locations-moved = 📍 { $name } now works at { $location }.
locations-moved-none = 📍 { $name } now has no specific location.
locations-moved-notice = 📍 The owner moved you to { $location }: your operations are recorded there now.
locations-moved-notice-none = 📍 The owner moved you out of your location: your operations are recorded without one now.
locations-held-at = 📍 { $location }

## Statistics by location

stats-button-all-locations = All locations
stats-location = 📍 <b>{ $location }</b>: purchases, revenue and points of this location. Members, balances, expiry, referrals and quizzes are the whole chain's.
stats-location-caption = 📍 { $location }
locations-already-there = Already there: nothing to change.
