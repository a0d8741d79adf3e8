"""Domain exceptions. Handlers turn each into a friendly Vietnamese message.

The message carried by each exception is already the user-facing Vietnamese text, so a
handler can show `str(exc)` and the CLI can print it.
"""


class DomainError(Exception):
    """Base of every rule violation a user can cause."""


class SpreadsheetError(DomainError):
    """The file as a whole cannot be read (format, encoding, header row)."""


class NotFound(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class LinkError(DomainError):
    """Linking a Telegram account to a cadre was refused."""
