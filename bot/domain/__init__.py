"""Pure rules: plain data in, plain data out.

No I/O here, and no imports of storage, netatmo, chat, web or telegram.
"""
