"""Callback data of the bot's inline buttons: one module per feature, named like its handler module.

Each module holds the feature's PREFIX, the PATTERN its handler registers with, typed builders (each
returns the data string and asserts Telegram's 64-byte limit) and one strict `parse(data)` that returns a
typed press or None. Button data is written by the client: None (a forged, truncated or old button) is
answered as a stale button, and every press still re-checks the actor, the permission on the object and
its state on the server. Builders and parsers live here, below handlers, because the scheduler builds
buttons too (a course notice's "🎓 Xem lớp"). `base` holds what the modules share.
"""
