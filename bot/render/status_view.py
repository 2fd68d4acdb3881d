"""What the status page shows, as plain values: the page (`bot.render.status_html`) draws
them and knows nothing of where they came from (`bot.status` gathers them from the store
and the running bot).

Every text here is shown as text: channel ids, errors and pause reasons come from the
database, the platforms and the sources, and are escaped when drawn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One source: its polls by this process, and what the archive holds of it."""

    name: str
    polled: bool
    """Enabled here (SOURCES): polled on schedule by this process."""
    last_attempt: dt.datetime | None = None
    last_success: dt.datetime | None = None
    failures: int = 0
    """Polls in a row that failed."""
    last_error: str | None = None
    days: int = 0
    newest_day: dt.date | None = None
    last_stored: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SubscriptionLine:
    channel: str
    """The channel as people name it (`discord:<guild>/<channel>`, a webhook's label)."""
    schedule: str
    """Its post time and zone, as stored: "09:00 Asia/Seoul"."""
    next_post: dt.datetime | None
    """None when it does not post: paused, not postable from here, or a bad time."""
    paused: bool = False
    note: str | None = None
    """Why it does not post (the pause reason, ...)."""


@dataclass(frozen=True, slots=True)
class PlatformSubscriptions:
    platform: str
    active: int
    paused: int
    lines: tuple[SubscriptionLine, ...]
    """The first of them by next post (those that post first), paused ones last."""
    hidden: int = 0
    """How many more there are than `lines` shows."""

    @property
    def next_post(self) -> dt.datetime | None:
        return min((line.next_post for line in self.lines if line.next_post), default=None)


@dataclass(frozen=True, slots=True)
class BacklogLine:
    """Outbox rows of one platform in one state."""

    platform: str
    state: str
    rows: int
    oldest: dt.datetime
    next_attempt: dt.datetime | None
    """When the soonest of them may be tried; None for posts being sent."""


@dataclass(frozen=True, slots=True)
class PostLine:
    """A post of the outbox: sent lately, or given up on."""

    channel: str
    kind: str
    item: str
    """The digest's day (or a note's key), or an alert's paper."""
    at: dt.datetime
    attempts: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StatusView:
    now: dt.datetime
    version: str
    store: str
    """The database backend: sqlite or postgresql (never its URL)."""
    sources: tuple[SourceLine, ...]
    subscriptions: tuple[PlatformSubscriptions, ...]
    backlog: tuple[BacklogLine, ...]
    """Posts waiting to be sent (pending, in flight, failed)."""
    dead_letters: int
    dead: tuple[PostLine, ...]
    """The latest of the dead letters."""
    recent: tuple[PostLine, ...]
    recent_days: int
    """How far back recent posts are looked for."""
