"""A Telegram bot for Netatmo homes.

Each Telegram user links their own Netatmo account; the bot pushes security events with snapshots to
private and family chats and offers inline-keyboard control of scenarios, heating and cameras.
"""

__version__ = "0.1.0"
