"""The services a command handler runs with: the store, the outbox queue for /digest, the
defaults for new subscriptions, and the clock. Only handlers and the composition root see
this; adapter glue never does (it reaches the store through none of it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.config import Settings
from bot.models import ChannelRef
from bot.store import Store
from bot.store.rows import DeliveryState, SubscriptionSettings

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class QueuedPost(Protocol):
    """What queueing a digest for a channel found or did."""

    @property
    def day(self) -> dt.date: ...
    @property
    def papers(self) -> int: ...
    @property
    def of(self) -> int: ...
    @property
    def messages(self) -> int: ...
    @property
    def created(self) -> bool: ...
    @property
    def state(self) -> DeliveryState: ...
    @property
    def sent_at(self) -> dt.datetime | None: ...
    @property
    def problem(self) -> str | None: ...


class DigestQueue(Protocol):
    async def post_now(
        self, channel: ChannelRef, settings: SubscriptionSettings, *, subscription: int | None
    ) -> QueuedPost | None:
        """Queue the newest digest of the channel's sources for it in the outbox, once per
        channel and day; None when the archive has no digest."""
        ...


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

    def new_settings(self) -> SubscriptionSettings:
        """What a new subscription starts from, before the options it was given."""
        return SubscriptionSettings(
            post_time=self.post_time, timezone=self.timezone, no_papers=self.no_papers
        )


@dataclass(frozen=True, slots=True)
class CommandEnv:
    store: Store
    digests: DigestQueue
    defaults: CommandDefaults = CommandDefaults()
    clock: Clock = utc_now
