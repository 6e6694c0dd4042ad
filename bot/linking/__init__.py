"""Linking a Telegram user to their own Netatmo account: the chat side (/link, /unlink, the pasted
redirect), the web side (the OAuth callback and its pages), the service both use, and their texts."""
