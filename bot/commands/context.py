"""What adapter glue and handlers share: the invocation (who, where, which options), the
service the glue calls, and what it hands back. Adapters build invocations; handlers
never see a platform object, and nothing here reaches the store (`env` has the services).

`Caller` is the only platform-specific ability a handler needs: asking whether the caller
may manage the channel and whether the bot may post there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.commands.spec import CommandSpec
from bot.models import ChannelKind, ChannelRef

if TYPE_CHECKING:
    from bot.commands.replies import Reply


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One autocomplete choice for /paper: what the user sees, what the query becomes."""

    title: str
    value: str


@dataclass(frozen=True, slots=True)
class Prepared:
    """A command that passed its checks. Its answer is public only when the user asked
    (`share`); that is known before it runs, so an adapter can defer with the right
    visibility."""

    ephemeral: bool
    run: Callable[[], Awaitable[Reply]]


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
        """Why the bot cannot post in this channel, or None when it can (or can't tell):
        "missing" and the permissions it lacks for what the channel's kind needs."""
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
    text: str | None = None
    """Options still as typed text (Slack); the handler layer parses it into `options`,
    so a malformed line is answered like any other bad argument."""
    channel_kind: ChannelKind = ChannelKind.TEXT
    """What the platform says the channel is (Discord: the interaction's channel type; a
    Slack channel is always text). /subscribe records it: a forum gets forum posts."""

    @property
    def place(self) -> str:
        """The channel as replies name it: "channel", "thread" or "forum"."""
        return "channel" if self.channel_kind is ChannelKind.TEXT else self.channel_kind.value


class CommandService(Protocol):
    """What adapter glue calls; `bot.commands.router.Commands` is the implementation."""

    async def prepare(self, invocation: Invocation) -> Reply | Prepared: ...

    async def run(self, invocation: Invocation) -> Reply: ...

    async def suggest(self, text: str, *, limit: int = ...) -> list[Suggestion]: ...
