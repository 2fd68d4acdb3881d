"""The one error family of slash commands.

Handlers raise these with a message written for the person who typed the command; the
handler layer (`bot.commands.router`) is the only place that turns them into a reply. Any
other exception is a bug or an outage: it is logged with its traceback and the user sees a
generic apology, never the exception's text (which may hold SQL, paths or tokens).
"""

from __future__ import annotations

from bot.errors import PapersBotError


class CommandError(PapersBotError):
    """Something the user can fix or should know; `str(error)` is shown to them verbatim
    (as plain text: the platform formatter escapes it)."""


class InvalidArgumentError(CommandError):
    """An option value is malformed or out of range; nothing was changed."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


class WrongPlaceError(CommandError):
    """The command cannot run here: a DM, or a channel the bot cannot post to."""


class PermissionDeniedError(CommandError):
    """The user lacks the permission a management command needs."""


class NothingFoundError(CommandError):
    """A lookup came back empty: no such paper, no digest for the day, no subscription."""


class TryLaterError(CommandError):
    """The platform or the store is busy or slow; the same command may work in a moment."""


GENERIC_FAILURE = (
    "Sorry, something went wrong on my side while running this command. "
    "It has been logged; please try again later."
)
TOO_SLOW = "Sorry, that took too long. Please try again in a moment."
