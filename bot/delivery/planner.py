"""Planning: turning "this subscription's post time came" into outbox rows, exactly once.

A post is keyed by what it carries (the digest day; a note by its local date; an alert by
its paper), so planning the same occurrence again (a restart inside the grace period, a
late digest, two processes) finds the row already there and adds nothing. The messages are
rendered here, once, and frozen into the row (see `payload`).

Which day a post carries: the newest digest day that is complete at the post time (digests
are UTC days, growing until the day ends) and not posted to this channel before.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.delivery import history
from bot.delivery.content import day_digest
from bot.delivery.notes import render_nothing_new
from bot.delivery.payload import Post
from bot.delivery.targets import console_channel, render_platform
from bot.delivery.timing import complete_day_before
from bot.models import Digest, Paper, SourceKind
from bot.poller import NewDigest
from bot.render.discord import render_discord_alert, render_discord_digest
from bot.render.message import Platform as RenderPlatform
from bot.render.message import RenderedMessage
from bot.render.options import RenderOptions, slack_layout_named
from bot.render.slack import render_slack_alert, render_slack_digest
from bot.selection import Selection, matches_keywords, passes_min_votes, select_papers
from bot.store import Store
from bot.store.rows import (
    Delivery,
    DeliveryKind,
    PlannedDelivery,
    Subscription,
    SubscriptionSettings,
)

log = logging.getLogger(__name__)

DIGEST_CACHE_SECONDS = 60.0
DIGEST_CACHE_SIZE = 64
DRY_RUN_SELECTION = SubscriptionSettings(top_n=10, min_votes=0)


class Outcome(StrEnum):
    PLANNED = "planned"
    NOTE = "note"
    ALREADY = "already planned"
    EMPTY = "nothing to post"


@dataclass(frozen=True, slots=True)
class PlanResult:
    outcome: Outcome
    day: dt.date | None = None


def selection_of(settings: SubscriptionSettings) -> Selection:
    return Selection(top_n=settings.top_n, min_votes=settings.min_votes, keywords=settings.keywords)


def below_threshold(papers: Sequence[Paper], settings: SubscriptionSettings) -> tuple[str, ...]:
    """Papers a channel's keywords want but its vote threshold kept out (for alerts)."""
    if settings.min_votes <= 0:
        return ()
    return tuple(
        p.key
        for p in papers
        if not passes_min_votes(p, settings.min_votes) and matches_keywords(p, settings.keywords)
    )


def options_of(settings: SubscriptionSettings) -> RenderOptions:
    return RenderOptions(slack_layout=slack_layout_named(settings.layout), locale=settings.language)


def render_digest(
    platform: RenderPlatform, digest: Digest, papers: Sequence[Paper], options: RenderOptions
) -> list[RenderedMessage]:
    if platform is RenderPlatform.DISCORD:
        return render_discord_digest(digest, papers, options=options)
    return render_slack_digest(digest, papers, options=options)


def render_alert(
    platform: RenderPlatform, paper: Paper, threshold: int, options: RenderOptions
) -> RenderedMessage:
    if platform is RenderPlatform.DISCORD:
        return render_discord_alert(paper, threshold, options=options)
    return render_slack_alert(paper, threshold, options=options)


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
        """The post due at `occurrence` (its scheduled instant), or nothing if it exists.

        A digest post planned since the occurrence is this occurrence's post: another
        instance, or this one before a restart, made it. Without this check the day would
        count as posted before, and the "note" policy would add a "nothing new" note.
        Each subscription's own `no_papers` setting decides what an empty day gets."""
        if await history.digest_planned_since(self._store.db, sub.id, occurrence):
            return PlanResult(Outcome.ALREADY)
        settings = sub.settings
        cutoff = complete_day_before(occurrence) + dt.timedelta(days=1)
        day = await history.newest_day_before(self._store.db, settings.sources, cutoff)
        if day is not None and not await self._exists(sub.id, DeliveryKind.DIGEST, str(day)):
            digest = await self._digest(day, settings.sources, settings.language)
            if digest is not None:
                papers = select_papers(digest.papers, selection_of(settings))
                if papers or settings.no_papers == "note":
                    platform = render_platform(sub.channel.platform)
                    messages = render_digest(platform, digest, papers, options_of(settings))
                    post = Post(
                        tuple(messages),
                        tuple(p.key for p in papers),
                        day.isoformat(),
                        watch=below_threshold(digest.papers, settings),
                    )
                    created = await self._plan(sub.id, DeliveryKind.DIGEST, str(day), post)
                    return PlanResult(Outcome.PLANNED if created else Outcome.ALREADY, day)
                return PlanResult(Outcome.EMPTY, day)
        if settings.no_papers != "note":
            return PlanResult(Outcome.EMPTY, day)
        local_day = occurrence.date()  # the occurrence is in the subscription's zone
        note = render_nothing_new(
            render_platform(sub.channel.platform), local_day, settings.language
        )
        post = Post((note,), (), local_day.isoformat())
        created = await self._plan(sub.id, DeliveryKind.DIGEST, f"note:{local_day}", post)
        return PlanResult(Outcome.NOTE if created else Outcome.ALREADY, day)

    async def plan_console(self, event: NewDigest) -> None:
        """Dry run: every digest with new papers goes to the console at once, through the
        same outbox and worker as a real post (one implicit channel per source)."""
        digest = event.digest
        channel = console_channel(digest.source.value)
        sub = await self._store.subscriptions.get(channel)
        if sub is None:
            sub = await self._store.subscriptions.save(channel, DRY_RUN_SELECTION, actor="dry-run")
        papers = select_papers(digest.papers, selection_of(DRY_RUN_SELECTION))
        messages = render_digest(RenderPlatform.DISCORD, digest, papers, RenderOptions())
        post = Post(tuple(messages), tuple(p.key for p in papers), digest.date.isoformat())
        # One post per source and day, as a subscription would get.
        await self._plan(sub.id, DeliveryKind.DIGEST, str(digest.date), post)

    async def plan_alert(self, sub: Subscription, paper: Paper) -> bool:
        settings = sub.settings
        message = render_alert(
            render_platform(sub.channel.platform), paper, settings.min_votes, options_of(settings)
        )
        post = Post((message,), (paper.key,), paper.date.isoformat())
        return await self._plan(sub.id, DeliveryKind.ALERT, paper.key, post)

    async def _plan(self, subscription_id: int, kind: DeliveryKind, key: str, post: Post) -> bool:
        created: list[Delivery] = await self._store.deliveries.plan(
            [PlannedDelivery(subscription_id, kind, key, payload=post.to_payload())],
            now=self._clock(),
        )
        if created:
            self._on_planned(kind)
        return bool(created)

    async def _exists(self, subscription_id: int, kind: DeliveryKind, key: str) -> bool:
        return await history.delivery_exists(self._store.db, subscription_id, kind, key)

    async def _digest(
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
            load = asyncio.ensure_future(day_digest(self._store, day, sources, language=language))
            cached = (now + DIGEST_CACHE_SECONDS, load)
            self._digests[key] = cached
        try:
            # Shielded: one waiter cancelled (its job timed out) leaves the read to the rest.
            return await asyncio.shield(cached[1])
        except Exception:
            if self._digests.get(key) is cached:  # a failed read is not cached
                del self._digests[key]
            raise
