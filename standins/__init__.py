"""Stand-ins for the two services the bot talks to, for the offline demo, the tests and the benchmarks.

`netatmo_sim` plays Netatmo (OAuth, REST API, cameras, WebRTC, webhooks) and `telegram_emulator` plays the
Telegram Bot API with a web chat page. Neither imports the bot: a stand-in built from the client's own
model of the service could not catch the client's mistakes. They stay out of the production image.
"""
