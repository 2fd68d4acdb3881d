"""Store failures callers can act on; anything else from the driver is a bug or an outage."""

from bot.errors import PapersBotError


class StoreError(PapersBotError):
    """The database could not be reached, set up or used as configured."""


class DatabaseUrlError(StoreError):
    """DATABASE_URL names a database we cannot drive."""


class SqliteFeatureError(StoreError):
    """The SQLite library lacks what archive search needs (FTS5 with the trigram tokenizer)."""
