"""`GET /status`: the facts of a running bot, gathered for its status page.

Off unless STATUS_PAGE is set; the composition root mounts it on the bot's web server
(HTTP_HOST:HTTP_PORT), which asks for no login, so it only reads and shows nothing secret:
channels by their ids or a webhook's label (a webhook URL is never stored), the database
by its backend, and every text from the database, a platform or a source through the
same secret mask as the logs.

What it shows: each source's polls by this process (the poller's health) beside what the
archive holds of it; every subscription per platform with its next post, computed from
the stored time as the scheduler computes it; the outbox's waiting posts per platform and
state, its dead letters and the posts sent lately (`bot.store.outbox.overview`). The HTML
is `bot.render.status_html`'s. A database that does not answer, within a time limit,
gives a one-line page and 503, never a traceback or a hung request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot import __version__
from bot.models import ChannelRef, SourceKind
from bot.poller import SourceHealth
from bot.post_time import PostTime, PostTimeError
from bot.render import status_view
from bot.render.status_html import CSP, render_status, render_unavailable
from bot.store import Store, StoreError
from bot.store.digests import SourceArchive
from bot.store.errors import describe_failure
from bot.store.outbox import overview
from bot.store.rows import DeliveryState
from bot.store.subscriptions import Schedule

log = logging.getLogger(__name__)

PATH = "/status"
TIMEOUT = 5.0
"""Seconds the page waits for the database before saying it does not answer."""
RECENT_DAYS = 7
"""Recent posts are looked for among the posts planned in these last days."""
POSTS_SHOWN = 20
"""Dead letters and recent posts listed (the newest)."""
SUBSCRIPTIONS_SHOWN = 100
"""Subscriptions listed per platform (those posting soonest); the others are counted."""
NOT_ROUTED = "nothing configured here posts to it"
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

Clock = Callable[[], dt.datetime]
Mask = Callable[[str], str]


def _unmasked(text: str) -> str:
    return text


class StatusPage:
    """The page of one running bot, on its store and its poller."""

    def __init__(
        self,
        store: Store,
        *,
        sources: Sequence[SourceKind],
        polls: Callable[[], Mapping[SourceKind, SourceHealth]],
        can_post: Callable[[ChannelRef], bool],
        clock: Clock,
        mask: Mask = _unmasked,
        timeout: float = TIMEOUT,
    ) -> None:
        """`sources`: the enabled ones; `polls`: this process's poll health per source;
        `can_post`: whether this configuration posts to a channel at all (a Slack channel
        without a Slack token does not); `mask`: hides configured secrets in texts."""
        self._store = store
        self._sources = tuple(sources)
        self._polls = polls
        self._can_post = can_post
        self._clock = clock
        self._mask = mask
        self._timeout = timeout

    def routes(self) -> list[web.RouteDef]:
        return [web.get(PATH, self._handle)]

    async def _gather(self, now: dt.datetime) -> status_view.StatusView:
        """Every fact on the page, read now."""
        store, db = self._store, self._store.db
        archive = await store.digests.archive()
        schedules = await store.subscriptions.schedules()
        counts = await overview.backlog(db)
        dead = await overview.dead_letters(db, limit=POSTS_SHOWN)
        since = now - dt.timedelta(days=RECENT_DAYS)
        recent = await overview.recent_posts(db, since=since, limit=POSTS_SHOWN)
        return status_view.StatusView(
            now=now,
            version=__version__,
            store=store.backend.value,
            sources=self._source_lines(archive),
            subscriptions=self._subscription_groups(schedules, now),
            backlog=tuple(_backlog_line(c) for c in counts if c.state is not DeliveryState.DEAD),
            dead_letters=sum(c.rows for c in counts if c.state is DeliveryState.DEAD),
            dead=tuple(self._post_line(line) for line in dead),
            recent=tuple(self._post_line(line) for line in recent),
            recent_days=RECENT_DAYS,
        )

    async def _handle(self, _request: web.Request) -> web.Response:
        now = self._clock()
        try:
            async with asyncio.timeout(self._timeout):
                view = await self._gather(now)
        except TimeoutError:
            return self._unavailable(f"no answer within {self._timeout:g} s", now)
        except (StoreError, SQLAlchemyError, OSError) as exc:
            first = (describe_failure(exc).strip().splitlines() or [type(exc).__name__])[0]
            return self._unavailable(first, now)
        return web.Response(text=render_status(view), content_type="text/html", headers=HEADERS)

    def _unavailable(self, reason: str, now: dt.datetime) -> web.Response:
        reason = self._mask(reason)
        log.warning("status page: the database is not answering: %s", reason)
        return web.Response(
            text=render_unavailable(reason, now),
            status=503,
            content_type="text/html",
            headers=HEADERS,
        )

    def _source_lines(self, archive: Iterable[SourceArchive]) -> tuple[status_view.SourceLine, ...]:
        """The enabled sources in their order, then any other the archive holds."""
        stored = {entry.source: entry for entry in archive}
        polls = self._polls()
        lines = []
        for kind in dict.fromkeys([*self._sources, *stored]):
            health = polls.get(kind, SourceHealth())
            entry = stored.get(kind)
            lines.append(
                status_view.SourceLine(
                    name=kind.value,
                    polled=kind in self._sources,
                    last_attempt=health.last_attempt,
                    last_success=health.last_success,
                    failures=health.consecutive_failures,
                    last_error=self._mask(health.last_error) if health.last_error else None,
                    days=entry.days if entry else 0,
                    newest_day=entry.newest_day if entry else None,
                    last_stored=entry.last_stored if entry else None,
                )
            )
        return tuple(lines)

    def _subscription_groups(
        self, schedules: Iterable[Schedule], now: dt.datetime
    ) -> tuple[status_view.PlatformSubscriptions, ...]:
        """Per platform, in platform order: counts, and the subscriptions posting soonest
        (then those that do not post, then paused ones). Only the listed ones become
        lines: with thousands of subscriptions, ranking them is most of the work."""
        times = _PostTimes(now)
        by_platform: dict[str, list[tuple[_Rank, Schedule, dt.datetime | str | None]]] = {}
        for entry in schedules:
            upcoming = self._upcoming(entry, times)
            rank = _rank(entry, upcoming)
            by_platform.setdefault(entry.channel.platform.value, []).append((rank, entry, upcoming))
        groups = []
        for platform in sorted(by_platform):
            ranked = sorted(by_platform[platform], key=lambda found: found[0])
            paused = sum(1 for _, entry, _ in ranked if entry.paused)
            groups.append(
                status_view.PlatformSubscriptions(
                    platform=platform,
                    active=len(ranked) - paused,
                    paused=paused,
                    lines=tuple(
                        self._subscription_line(entry, upcoming)
                        for _, entry, upcoming in ranked[:SUBSCRIPTIONS_SHOWN]
                    ),
                    hidden=max(0, len(ranked) - SUBSCRIPTIONS_SHOWN),
                )
            )
        return tuple(groups)

    def _upcoming(self, entry: Schedule, times: _PostTimes) -> dt.datetime | str | None:
        """The next post, or why there is none; None while paused."""
        if entry.paused:
            return None
        if not self._can_post(entry.channel):
            return NOT_ROUTED
        return times.next(entry.post_time, entry.timezone)

    def _subscription_line(
        self, entry: Schedule, upcoming: dt.datetime | str | None
    ) -> status_view.SubscriptionLine:
        channel = entry.channel.target
        schedule = f"{entry.post_time} {entry.timezone}"
        if entry.paused:
            reason = self._mask(entry.paused_reason) if entry.paused_reason else None
            return status_view.SubscriptionLine(channel, schedule, None, paused=True, note=reason)
        if isinstance(upcoming, str):
            return status_view.SubscriptionLine(channel, schedule, None, note=upcoming)
        return status_view.SubscriptionLine(channel, schedule, upcoming)

    def _post_line(self, line: overview.PostLine) -> status_view.PostLine:
        return status_view.PostLine(
            channel=line.channel.target,
            kind=line.kind.value,
            item=line.item_key,
            at=line.at,
            attempts=line.attempts,
            error=self._mask(line.last_error) if line.last_error else None,
        )


class _PostTimes:
    """Next post instants at one moment, each (time, zone) read once: thousands of
    subscriptions share a handful of post times. In UTC: instants in many zones sort
    several times slower (every comparison asks each zone for its offset)."""

    def __init__(self, now: dt.datetime) -> None:
        self._now = now
        self._known: dict[tuple[str, str], dt.datetime | str] = {}

    def next(self, post_time: str, timezone: str) -> dt.datetime | str:
        """The next instant, or why there is none (a time written by hand, say)."""
        slot = (post_time, timezone)
        if slot not in self._known:
            try:
                upcoming = PostTime.parse(post_time, timezone).next(self._now)
                self._known[slot] = upcoming.astimezone(dt.UTC)
            except PostTimeError as exc:
                self._known[slot] = str(exc)
        return self._known[slot]


def _backlog_line(count: overview.StateCount) -> status_view.BacklogLine:
    # A row in flight keeps the time it was due at; when it is tried again is its lease's
    # business, and nobody waits on it.
    in_flight = count.state is DeliveryState.IN_FLIGHT
    return status_view.BacklogLine(
        count.platform.value,
        count.state.value,
        count.rows,
        count.oldest,
        None if in_flight else count.next_attempt,
    )


_LAST = dt.datetime.max.replace(tzinfo=dt.UTC)
_Rank = tuple[int, dt.datetime]


def _rank(entry: Schedule, upcoming: dt.datetime | str | None) -> _Rank:
    """Posting ones by next post, then those that do not post, then paused ones (each
    group in the order they were made: the sort is stable)."""
    if isinstance(upcoming, dt.datetime):
        return (0, upcoming)
    return (2 if entry.paused else 1, _LAST)
