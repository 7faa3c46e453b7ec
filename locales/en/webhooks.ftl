## Outbound webhooks (/webhooks, owners only)

cmd-webhooks = Webhooks: send events to your systems
webhooks-title =
    <b>Outbound webhooks</b>
    Events go to these addresses as signed POST requests (JSON).
webhooks-empty = No endpoints yet. Add one: the address of your CRM or server, then the events it should hear about.
webhooks-endpoint = <b>#{ $id }</b> · { $state }
webhooks-active = ✅ active
webhooks-disabled = ⏸ disabled
webhooks-url = { $url }
webhooks-events = Events: { $events }
webhooks-events-all = all
webhooks-stats = Delivered { $delivered } · waiting { $pending } · failed { $failed }
webhooks-next-attempt = Next attempt: { $time }
webhooks-last-error = Last error: <code>{ $error }</code>
webhooks-open-button = ⚙️ #{ $id } { $url }
webhooks-add-button = ➕ Add an endpoint
webhooks-ping-button = 📨 Send a test event
webhooks-retry-button = 🔁 Retry failed ({ $count })
webhooks-disable-button = ⏸ Disable
webhooks-enable-button = ▶️ Enable
webhooks-delete-button = 🗑 Delete
webhooks-back-button = ← All endpoints
webhooks-all-button = All events
webhooks-save-button = 💾 Save
webhooks-keep-button = ← No, keep it
webhooks-event-member-joined = A member joined
webhooks-event-purchase-recorded = A purchase recorded
webhooks-event-points-redeemed = Points paid with
webhooks-event-tier-changed = Tier changed
webhooks-event-points-expired = Points expired
webhooks-event-operation-cancelled = An operation cancelled
webhooks-not-found = This endpoint is gone or disabled.
webhooks-ping-queued = Test event queued (delivery #{ $id }). Its result shows in /webhooks.
webhooks-retry-queued = { $count ->
    [one] { $count } failed delivery is queued again.
   *[other] { $count } failed deliveries are queued again.
}
webhooks-confirm-disable =
    Disable endpoint #{ $id }?
    { $url }
    New events will not be queued for it; what is already waiting is sent once you enable it again.
webhooks-confirm-disable-button = ⏸ Yes, disable
webhooks-confirm-delete =
    Delete endpoint #{ $id } and its delivery history?
    { $url }
    Nothing more is sent to it. This cannot be undone.
webhooks-confirm-delete-button = 🗑 Yes, delete
webhooks-deleted = Endpoint #{ $id } deleted.
webhooks-enabled = Enabled.
webhooks-disabled-now = Disabled.
webhooks-too-many = At most { $max } endpoints. Delete one first.
webhooks-ask-url = Send the endpoint's address: an http:// or https:// URL, up to 512 characters. /cancel stops.
webhooks-bad-url = That is not an http:// or https:// address (at most { $max } characters, no spaces). Try again, or /cancel.
webhooks-ask-events =
    Which events should go to { $url }?
    Tap to choose, then Save.
webhooks-stale = This form is no longer open. Start again with /webhooks.
webhooks-no-events = Choose at least one event.
webhooks-created =
    ✅ Endpoint #{ $id } added: { $url }
    Events: { $events }

    <b>Signing secret</b>, shown only now: keep it on your server.
    <code>{ $secret }</code>

    Every request carries the header <code>X-Loyalty-Signature: t=…,v1=…</code>: v1 is the HMAC-SHA256 of "t.body" with this secret (see README, "Outbound webhooks"). Send a test event from /webhooks.
webhooks-add-cancelled = Adding the endpoint cancelled.
