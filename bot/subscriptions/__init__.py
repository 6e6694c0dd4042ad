"""Which chats receive a home's alerts and how: /subscribe and /unsubscribe, /settings (kinds, cameras,
people, quiet hours) and /mute."""
