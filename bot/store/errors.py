"""Store failures callers can act on; anything else from the driver is a bug or an outage."""

from sqlalchemy.exc import DBAPIError

from bot.errors import PapersBotError, UsageError, describe_os_error


class StoreError(PapersBotError):
    """The database could not be reached, set up or used as configured."""


class DatabaseUrlError(StoreError, UsageError):
    """DATABASE_URL names a database we cannot drive."""


class SqliteFeatureError(StoreError):
    """The SQLite library lacks what archive search needs (FTS5 with the trigram tokenizer)."""


class SchemaMissingError(StoreError):
    """The schema DATABASE_URL's search_path names first does not exist and the bot's role
    may not create it: without it the tables would land in the next schema of the path."""


def describe_database_error(exc: BaseException) -> str | None:
    """A failure of the database or of the way to it, in one line; None for anything else
    (a bug, which keeps its traceback). The driver's own message is the useful part:
    SQLAlchemy's wrapping adds the driver's class name and a link on a second line."""
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    if isinstance(exc, DBAPIError):
        text = str(exc.orig if exc.orig is not None else exc).strip()
        return (text.splitlines() or [type(exc).__name__])[0]
    return None


def describe_failure(exc: BaseException) -> str:
    """One line for a failure a background job survives: the database's own words when it
    is a database failure, the error's text otherwise."""
    return describe_database_error(exc) or str(exc) or type(exc).__name__
