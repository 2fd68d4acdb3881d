"""What a command handler is given: the invocation (who, where, which options) and the
bot's services. Adapters build invocations; handlers never see a platform object.

The two protocols are the only platform-specific abilities a handler needs: asking whether
the caller may manage the channel and whether the bot may post there (`Caller`), and
posting a digest to the channel through the bot's own adapter (`ChannelPoster`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.commands.spec import CommandSpec
from bot.config import Settings
from bot.models import Digest, Paper
from bot.render.options import RenderOptions
from bot.store import Store
from bot.store.rows import ChannelRef

if TYPE_CHECKING:
    from bot.commands.lookup import Suggestion
    from bot.commands.replies import Reply
    from bot.commands.router import Prepared

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Caller(Protocol):
    @property
    def requirement(self) -> str:
        """What a manager has on this platform, for refusals ("the Manage Channels
        permission")."""
        ...

    async def can_manage(self) -> bool:
        """Whether the caller may change this channel's subscription."""
        ...

    async def post_problem(self) -> str | None:
        """Why the bot cannot post in this channel, or None when it can (or can't tell)."""
        ...


class ChannelPoster(Protocol):
    async def post_digest(
        self, digest: Digest, papers: Sequence[Paper], options: RenderOptions
    ) -> int:
        """Render with the platform's renderer and send to the invocation's channel;
        returns the number of messages sent. Raises `CommandError`s for failures a user
        should hear about (the bot was removed from the channel, rate limits)."""
        ...


@dataclass(frozen=True, slots=True)
class Invocation:
    spec: CommandSpec
    options: Mapping[str, object]
    """Raw option values by canonical name, only those the user gave."""
    channel: ChannelRef
    user_id: str
    is_dm: bool
    caller: Caller
    poster: ChannelPoster
    text: str | None = None
    """Options still as typed text (Slack); the handler layer parses it into `options`,
    so a malformed line is answered like any other bad argument."""


class CommandService(Protocol):
    """What adapter glue calls; `bot.commands.router.Commands` is the implementation."""

    async def prepare(self, invocation: Invocation) -> Reply | Prepared: ...

    async def run(self, invocation: Invocation) -> Reply: ...

    async def suggest(self, text: str, *, limit: int = ...) -> list[Suggestion]: ...


@dataclass(frozen=True, slots=True)
class CommandDefaults:
    """What a new subscription gets for options the user leaves out."""

    post_time: str = "09:00"
    timezone: str = "UTC"
    no_papers: str = "skip"

    @classmethod
    def from_settings(cls, settings: Settings) -> CommandDefaults:
        return cls(
            post_time=settings.default_post_time,
            timezone=settings.default_timezone,
            no_papers=settings.no_papers_policy,
        )


@dataclass(frozen=True, slots=True)
class CommandEnv:
    store: Store
    defaults: CommandDefaults = CommandDefaults()
    clock: Clock = utc_now
