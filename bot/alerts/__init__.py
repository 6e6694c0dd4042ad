"""Security alerts, from Netatmo to every chat that should see them.

The path, in the order an alert takes it: `watcher` (the background loops: webhook `inbox`, polling,
webhook registration) → `intake` (store each event once and queue one outbox row per chat; returns what
it stored) → the watcher submits the new rows to `delivery` (which also claims every other due row) →
`sending` with `render` and `snapshots` (what the message looks like, its picture) →
`bot.storage.sent_records` (what went out). `buttons` answers the buttons under an alert.
"""
