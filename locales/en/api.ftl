## /apikeys: keys to the HTTP API for cash registers and CRMs

cmd-apikeys = API keys for cash registers and CRMs
apikeys-title = <b>API keys</b> · { $count ->
        [0] none yet
        [one] { $count } key
       *[other] { $count } keys
    }
apikeys-empty = A key lets a cash register or a CRM find members, record purchases and cancel them through the HTTP API.
apikeys-line = 🔑 <b>{ $name }</b> · { $location } · made { $created } · { $used }
apikeys-used = last used { $date }
apikeys-never-used = never used
apikeys-whole-shop = whole shop
apikeys-whole-shop-button = 🏬 The whole shop
apikeys-btn-new = ➕ New key
apikeys-btn-revoke = ✖ Revoke { $name }
apikeys-ask-name = Send a name for the new key (up to { $max } characters), e.g. “Till 1”, or /cancel.
apikeys-name-invalid = The name must be 1 to { $max } characters long. Try another, or /cancel.
apikeys-ask-location = Where does { $name } work? Its operations are recorded at that location.
apikeys-created =
    🔑 Key <b>{ $name }</b> ({ $location }):
    <code>{ $key }</code>
    Put it into the register's settings now: it is shown only this once and can't be recovered. Then delete this message.
apikeys-cancelled = Cancelled: no key was made.
apikeys-location-gone = This location is no longer available. Start again with /apikeys.
apikeys-revoke-ask = Revoke the key <b>{ $name }</b>? Registers using it stop working at once.
apikeys-btn-revoke-yes = ✖ Revoke
apikeys-btn-revoke-no = Keep it
apikeys-revoked = Key <b>{ $name }</b> revoked: it no longer works.
apikeys-kept = Nothing changed: the key still works.
apikeys-gone = This key has already been revoked.
