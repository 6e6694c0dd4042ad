"""Security alerts, from Netatmo to every chat that should see them.

The path, in the order an alert takes it: `watcher` (the background loops: webhook inbox, polling,
webhook registration) → `intake` (store each event once and queue one outbox row per chat) → `delivery`
(lease due rows, one chat at a time) → `sending` with `render` and `snapshots` (what the message looks
like, its picture) → `sent_records` (what went out). `buttons` answers the buttons under an alert.
"""
