"""Planning: turning "this channel should get this post" into an outbox row, exactly once.

A post is keyed by what it carries (the digest day; a note by its local date; an alert by
its paper) in its channel, so planning the same post again (a restart inside the grace
period, a late digest, two processes, `/digest` after the scheduled post) finds the row
already there and adds nothing. The messages are rendered here, once, and frozen into the
row (see `payload`).

Which day a scheduled post carries: the newest digest day that is complete at the post
time (digests are UTC days, growing until the day ends) and not posted to this channel
before. `/digest` carries the newest day the channel's sources published. A channel that
follows authors or accounts gets its followed papers in the same post
(`bot.compose.follows`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.compose.digest import (
    Composed,
    compose,
    follow_up,
    latest_day,
    load_day,
    render_options,
    select,
)
from bot.compose.follows import Following
from bot.delivery.payload import Look, Post
from bot.delivery.timing import complete_day_before
from bot.models import ChannelKind, ChannelRef, Digest, Paper, Platform, SourceKind
from bot.render.notes import render_nothing_new
from bot.render.platforms import render_alert, render_digest
from bot.store import Store
from bot.store.outbox import history
from bot.store.rows import (
    Delivery,
    DeliveryKind,
    DeliveryState,
    Follow,
    PlannedDelivery,
    Subscription,
    SubscriptionSettings,
)

log = logging.getLogger(__name__)

DIGEST_CACHE_SECONDS = 60.0
DIGEST_CACHE_SIZE = 64


class Outcome(StrEnum):
    PLANNED = "planned"
    NOTE = "note"
    ALREADY = "already planned"
    EMPTY = "nothing to post"


@dataclass(frozen=True, slots=True)
class PlanResult:
    outcome: Outcome
    day: dt.date | None = None


@dataclass(frozen=True, slots=True)
class QueuedDigest:
    """What `/digest` (or `post`) queued: the day, how much of it, and whether this call
    planned it or found the channel's post of that day already there."""

    day: dt.date
    papers: int
    """Papers selected by the channel's settings."""
    of: int
    """Papers the day has over the channel's sources."""
    messages: int
    created: bool
    state: DeliveryState
    sent_at: dt.datetime | None
    problem: str | None = None
    """Why an earlier attempt failed, if one did."""
    delivery_id: int | None = None
    """The outbox row, when one exists."""


def digest_post(composed: Composed, platform: Platform, settings: SubscriptionSettings) -> Post:
    """What a channel on `platform` with `settings` is posted for a composed digest."""
    messages = render_digest(platform, composed.digest, composed.papers, render_options(settings))
    return Post(
        tuple(messages),
        tuple(p.key for p in composed.papers),
        composed.day.isoformat(),
        watch=composed.watch,
        look=Look.of(settings, composed.papers),
    )


class Planner:
    """One per process; `on_planned` (metrics, waking the delivery worker) hears of every
    row created."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], dt.datetime],
        on_planned: Callable[[DeliveryKind], None] = lambda _kind: None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._on_planned = on_planned
        self._digests: dict[tuple[object, ...], tuple[float, asyncio.Future[Digest | None]]] = {}

    async def plan_occurrence(self, sub: Subscription, occurrence: dt.datetime) -> PlanResult:
        """The post due at `occurrence` (its scheduled instant), or nothing if it exists."""
        [result] = await self.plan_slot([sub], occurrence)
        return result

    async def plan_slot(
        self, subs: Sequence[Subscription], occurrence: dt.datetime
    ) -> list[PlanResult]:
        """The posts of every subscription due at `occurrence` (one post time and zone),
        planned together: a few reads for all of them, one render per distinct digest and
        look, and the rows written in chunks, the worker woken after each so the first
        messages leave while the rest are still being planned. Returns one result per
        subscription, in order.

        A digest post planned since the occurrence is this occurrence's post: another
        instance, or this one before a restart, made it. Without this check the day would
        count as posted before, and the "note" policy would add a "nothing new" note.
        Each subscription's own `no_papers` setting decides what an empty day gets."""
        db = self._store.db
        already = await history.digest_channels_since(db, occurrence)
        cutoff = complete_day_before(occurrence) + dt.timedelta(days=1)
        days = {
            sources: await latest_day(self._store, sources, before=cutoff)
            for sources in {s.settings.sources for s in subs}
        }
        keys = {day.isoformat() for day in days.values() if day is not None}
        posted = await history.channels_with(db, DeliveryKind.DIGEST, keys)
        follows = await self._store.follows.of_many([s.id for s in subs])
        slot = _Slot(self, occurrence, follows)
        results: list[tuple[PlanResult, Asked | None]] = []
        for sub in subs:
            day = days[sub.settings.sources]
            if sub.channel in already:
                results.append((PlanResult(Outcome.ALREADY), None))
            elif day is not None and (sub.channel, day.isoformat()) not in posted:
                results.append(await slot.digest(sub, day))
            else:
                results.append(await slot.note(sub, day))
        await slot.flush()
        if slot.written >= REFRESH_STATISTICS_AFTER:
            await self._store.deliveries.refresh_statistics()
        return [slot.settle(result, asked) for result, asked in results]

    async def post_now(
        self, channel: ChannelRef, settings: SubscriptionSettings, *, subscription: int | None
    ) -> QueuedDigest | None:
        """The newest day of the channel's sources, queued for the channel now (`/digest`);
        None when the archive has no digest for it."""
        follows = () if subscription is None else await self._store.follows.of(subscription)
        following = Following(channel, follows)
        composed = await compose(self._store, None, settings, following=following)
        if composed is None:
            return None
        return await self.queue(channel, composed, settings, subscription=subscription)

    async def queue(
        self,
        channel: ChannelRef,
        composed: Composed,
        settings: SubscriptionSettings,
        *,
        subscription: int | None,
    ) -> QueuedDigest:
        """A composed digest queued for the channel now, unless the channel's post of that
        day already exists (scheduled, `/digest` or `post`: once per channel and day). A day
        with no paper selected is not queued (`papers` is 0)."""
        key = composed.day.isoformat()
        post = digest_post(composed, channel.platform, settings)
        summary = (composed.day, len(composed.papers), len(composed.digest.papers))
        existing = await self._existing(channel, key)
        if existing is not None or not composed.papers:
            return QueuedDigest(
                *summary,
                messages=len(post.messages),
                created=False,
                state=existing.state if existing else DeliveryState.PENDING,
                sent_at=existing.sent_at if existing else None,
                problem=existing.last_error if existing else None,
                delivery_id=existing.id if existing else None,
            )
        planned = PlannedDelivery(
            channel, subscription, DeliveryKind.DIGEST, key, payload=post.to_payload()
        )
        created = bool(await self.plan_rows([planned]))
        row = await self._existing(channel, key)
        return QueuedDigest(
            *summary,
            messages=len(post.messages),
            created=created,
            state=row.state if row else DeliveryState.PENDING,
            sent_at=row.sent_at if row else None,
            delivery_id=row.id if row else None,
        )

    async def plan_alert(self, sub: Subscription, paper: Paper) -> bool:
        settings = sub.settings
        message = render_alert(
            sub.channel.platform, paper, settings.min_votes, render_options(settings)
        )
        post = Post((message,), (paper.key,), paper.date.isoformat())
        planned = PlannedDelivery(
            sub.channel, sub.id, DeliveryKind.ALERT, paper.key, payload=post.to_payload()
        )
        return bool(await self.plan_rows([planned]))

    async def plan_rows(self, rows: Sequence[PlannedDelivery]) -> set[Asked]:
        """Write rows not planned before; returns the (channel, item) of those created."""
        created = await self._store.deliveries.plan(rows, now=self._clock())
        for kind in {row.kind for row in rows if (row.channel, row.item_key) in created}:
            self._on_planned(kind)
        return created

    async def with_follows(self, composed: Composed, following: Following) -> Composed:
        return await follow_up(self._store, composed, following)

    async def _existing(self, channel: ChannelRef, key: str) -> Delivery | None:
        found = await history.find(self._store.db, channel, DeliveryKind.DIGEST, key)
        return None if found is None else await self._store.deliveries.get(found)

    async def day_digest(
        self, day: dt.date, sources: Sequence[SourceKind], language: str | None
    ) -> Digest | None:
        """Many channels post the same day at the same minute: read it once a minute. The
        read itself is shared, so channels whose jobs fire together wait for one read
        instead of each loading the day while the others have not cached it yet."""
        key: tuple[object, ...] = (day, tuple(sources), language)
        cached = self._digests.get(key)
        now = time.monotonic()
        if cached is None or cached[0] <= now:
            if len(self._digests) >= DIGEST_CACHE_SIZE:
                self._digests.clear()
            load = asyncio.ensure_future(load_day(self._store, day, sources, language=language))
            cached = (now + DIGEST_CACHE_SECONDS, load)
            self._digests[key] = cached
        try:
            # Shielded: one waiter cancelled (its job timed out) leaves the read to the rest.
            return await asyncio.shield(cached[1])
        except Exception:
            if self._digests.get(key) is cached:  # a failed read is not cached
                del self._digests[key]
            raise


LookKey = tuple[object, ...]
Asked = tuple[ChannelRef, str]
PLAN_CHUNK = 200
REFRESH_STATISTICS_AFTER = 1000
"""Rows written by one slot after which the outbox's statistics are refreshed."""
"""Rows per write while planning a slot: one transaction each, the worker woken after.
Small enough that encoding and writing a chunk holds the event loop well under 100 ms."""


class _Slot:
    """Planning one post time's subscriptions: renders each distinct digest and look once
    (its payload encoded once and shared by its rows, which only read it), and writes the
    rows in chunks. `digest` and `note` return the result the row would give, and the
    (channel, item) it asks for; `settle` turns a row that existed already (another
    instance planned it meanwhile) into ALREADY."""

    def __init__(
        self, planner: Planner, occurrence: dt.datetime, follows: dict[int, tuple[Follow, ...]]
    ) -> None:
        self._planner = planner
        self._occurrence = occurrence
        self._follows = follows
        self._looks: dict[LookKey, _Look | None] = {}
        self._pending: list[PlannedDelivery] = []
        self._created: set[Asked] = set()
        self.written = 0

    async def digest(self, sub: Subscription, day: dt.date) -> tuple[PlanResult, Asked | None]:
        settings = sub.settings
        look = await self._digest_look(sub.channel.platform, day, settings)
        if look is None:
            return await self.note(sub, day)
        look = await self._followed(sub, look)
        if not look.post.papers and settings.no_papers != "note":
            return PlanResult(Outcome.EMPTY, day), None
        asked = await self._add(sub, day.isoformat(), look)
        return PlanResult(Outcome.PLANNED, day), asked

    async def note(self, sub: Subscription, day: dt.date | None) -> tuple[PlanResult, Asked | None]:
        settings = sub.settings
        if settings.no_papers != "note":
            return PlanResult(Outcome.EMPTY, day), None
        local_day = self._occurrence.date()  # the occurrence is in the subscription's zone
        forum = settings.channel_kind is ChannelKind.FORUM
        key: LookKey = ("note", sub.channel.platform, local_day, settings.language, forum)
        look = self._looks.get(key)
        if look is None:
            note = render_nothing_new(
                sub.channel.platform, local_day, settings.language, discord_forum=forum
            )
            look = self._looks[key] = _Look.note(Post((note,), (), local_day.isoformat()))
        asked = await self._add(sub, f"{history.NOTE_PREFIX}{local_day}", look)
        return PlanResult(Outcome.NOTE, day), asked

    async def _digest_look(
        self, platform: Platform, day: dt.date, settings: SubscriptionSettings
    ) -> _Look | None:
        key: LookKey = (
            platform,
            day,
            settings.sources,
            settings.language,
            settings.top_n,
            settings.min_votes,
            settings.keywords,
            settings.layout,
            settings.channel_kind,
        )
        if key not in self._looks:
            digest = await self._planner.day_digest(day, settings.sources, settings.language)
            # Rendering a look and encoding its payload is pure CPU work (tens of ms for a
            # long digest): a worker thread does it, so the event loop keeps serving the
            # gateway, commands and the delivery worker meanwhile.
            self._looks[key] = (
                None
                if digest is None
                else await asyncio.to_thread(_render_look, digest, platform, settings)
            )
        return self._looks[key]

    async def _followed(self, sub: Subscription, look: _Look) -> _Look:
        """The shared look, or the channel's own when its follows add or mark papers."""
        follows = self._follows.get(sub.id)
        if not follows or look.composed is None:
            return look
        following = Following(sub.channel, follows)
        composed = await self._planner.with_follows(look.composed, following)
        if composed is look.composed:
            return look
        return await asyncio.to_thread(_Look.of, composed, sub.channel.platform, sub.settings)

    async def _add(self, sub: Subscription, key: str, look: _Look) -> Asked:
        row = PlannedDelivery(sub.channel, sub.id, DeliveryKind.DIGEST, key, payload=look.payload)
        self._pending.append(row)
        if len(self._pending) >= PLAN_CHUNK:
            await self.flush()
        return (sub.channel, key)

    async def flush(self) -> None:
        if self._pending:
            rows, self._pending = self._pending, []
            self.written += len(rows)
            self._created |= await self._planner.plan_rows(rows)

    def settle(self, result: PlanResult, asked: Asked | None) -> PlanResult:
        if asked is None or asked in self._created:
            return result
        return PlanResult(Outcome.ALREADY, result.day)


def _render_look(digest: Digest, platform: Platform, settings: SubscriptionSettings) -> _Look:
    return _Look.of(select(digest, settings), platform, settings)


@dataclass(frozen=True, slots=True)
class _Look:
    """One rendered post and its outbox payload, with what it was composed from (for a
    digest post)."""

    post: Post
    payload: dict[str, str]
    composed: Composed | None = None

    @classmethod
    def of(cls, composed: Composed, platform: Platform, settings: SubscriptionSettings) -> _Look:
        post = digest_post(composed, platform, settings)
        return cls(post, post.to_payload(), composed)

    @classmethod
    def note(cls, post: Post) -> _Look:
        return cls(post, post.to_payload())
