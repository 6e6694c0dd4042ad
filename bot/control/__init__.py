"""Looking at and controlling a home from the chat: /homes and /status today; heating, scenarios and
cameras belong here too."""
