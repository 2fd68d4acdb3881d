"""Sending live-card edits: the delivery worker's second lane, for messages already posted.

Posts come first. The editor claims edits only while the worker has no post in hand and
the outbox has none due, and each edit waits in budgets of its own
(`bot.delivery.ratelimit`): Discord's per-channel edit bucket and at most a tenth of the
bot's global budget, Slack's chat.update (Tier 3, per workspace), a Discord webhook's
edit bucket. A post that falls due while edits are under way therefore finds at least
nine tenths of every budget it uses untouched, and no further edit starts until it is out.

Exactly once in effect: an edit carries the message's whole content at its version, and
the version counts as applied only under the claim it was sent with (`live.edited`,
fenced by the claim count). An edit retried after a crash or a lost answer sends the same
content again, which changes nothing; a card claimed again always carries the newest
version. The lease is renewed (fenced) right before each request, whose time is bounded
by the send timeout, and a card whose lease ran out is claimed again only once that
timeout (`settle`) has passed too: so an older edit never lands after a newer one.

Failures, per card: 429 waits out its Retry-After (its edit scope is blocked meanwhile);
a message that is gone (deleted, or not the bot's to edit: 403/404, Slack
`message_not_found` / `cant_update_message`) is never edited again, with one log line; a
refused content (400) ends the card as a rendering bug; anything else is retried with
exponential backoff while the card's window lasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.adapters.base import (
    Adapter,
    AdapterError,
    CannotEditError,
    RateLimitedError,
    Receipt,
    RejectedPayloadError,
    TargetGoneError,
)
from bot.delivery.live import content_hash
from bot.delivery.metrics import DeliveryMetrics
from bot.delivery.pacing import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_CAP_SECONDS,
    IDLE_RECHECK,
    QUIET_RECHECK,
    STOP_GRACE,
)
from bot.delivery.payload import PayloadError, message_from_json
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.targets import Route, Router, UnroutableError
from bot.models import Platform, Transport
from bot.retry import backoff
from bot.store import Store
from bot.store.engine import Backend
from bot.store.outbox import claims, live
from bot.store.outbox.live import ClaimedEdit

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


class AdapterSource(Protocol):
    """What the worker and the editor need from the adapter pool (`AdapterPool`)."""

    async def get(self, platform: Platform, transport: Transport = ...) -> Adapter: ...


class PostsFirst(Protocol):
    """The delivery worker, as the editor asks it whether it is sending posts."""

    @property
    def posts_in_hand(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class EditSettings:
    interval: dt.timedelta
    """At least this long between two edits of one message (LIVE_CARDS_EDIT_INTERVAL)."""
    concurrency: int = 8
    lease: dt.timedelta = dt.timedelta(seconds=60)
    settle: dt.timedelta = dt.timedelta(seconds=20)
    """How long after its start an edit request may still land: the send timeout."""


def edit_fields(claimed: ClaimedEdit) -> dict[str, object]:
    """What a log line about this edit carries as structured fields."""
    return {
        "platform": claimed.channel.platform.value,
        "channel": claimed.channel.label,
        "delivery_id": claimed.delivery_id,
    }


class CardEditor:
    """Claims due edits and sends them; started and stopped by the delivery worker."""

    def __init__(
        self,
        store: Store,
        adapters: AdapterSource,
        router: Router,
        limiter: RateLimiter,
        metrics: DeliveryMetrics,
        *,
        settings: EditSettings,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._adapters = adapters
        self._router = router
        self._limiter = limiter
        self._metrics = metrics
        self._settings = settings
        self._clock = clock
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._posts: PostsFirst | None = None

    def wake(self) -> None:
        self._wake.set()

    async def start(self, posts: PostsFirst) -> None:
        self._posts = posts
        if self._store.backend is Backend.SQLITE:
            await live.expire_leases(self._store.db)
        self._loop_task = asyncio.create_task(self._loop(), name="card-editor")

    async def stop(self, *, grace: float = STOP_GRACE) -> None:
        """Claim nothing more; edits under way finish (or are released) within `grace`."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)

    @property
    def _posts_in_hand(self) -> bool:
        return self._posts is not None and self._posts.posts_in_hand

    async def _posts_waiting(self, platforms: Sequence[Platform]) -> bool:
        """A post is being sent here, or one is due in the outbox (for any instance)."""
        if self._posts_in_hand:
            return True
        due = await claims.next_due(self._store.db, platforms=platforms)
        return due is not None and due <= self._clock()

    async def _loop(self) -> None:
        platforms = self._router.platforms()
        while True:
            self._wake.clear()
            try:
                wait = await self._round(platforms)
            except Exception as exc:  # the store is down: say so, try again shortly
                log.warning("card editor: %s: %s", type(exc).__name__, exc)
                wait = IDLE_RECHECK
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def _round(self, platforms: Sequence[Platform]) -> float:
        """Claim what is due while no post waits; returns how long to sleep. Only a due
        edit costs a write (the claim): an idle editor only reads."""
        if await self._posts_waiting(platforms):
            return IDLE_RECHECK
        now = self._clock()
        due = await live.next_due(self._store.db, platforms=platforms, now=now)
        if due is None:
            return QUIET_RECHECK
        if due > now:
            return min((due - now).total_seconds(), QUIET_RECHECK)
        free = self._settings.concurrency - len(self._tasks)
        if free <= 0:
            return IDLE_RECHECK
        claimed = await live.claim(
            self._store.db,
            platforms=platforms,
            limit=free,
            lease=self._settings.lease,
            settle=self._settings.settle,
            clock=self._clock,
            holding=list(self._tasks),
        )
        for edit in claimed:
            task = asyncio.create_task(self._run(edit), name=f"card-edit-{edit.id}")
            self._tasks[edit.id] = task
        return 0.0 if claimed else IDLE_RECHECK

    async def _run(self, claimed: ClaimedEdit) -> None:
        try:
            await self._edit(claimed)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(live.release(self._store.db, claimed))
            raise
        except Exception as exc:  # most likely the store failed recording the outcome
            log.exception("live card %d: edit failed unexpectedly", claimed.id)
            await self._retry(claimed, f"{type(exc).__name__}: {exc}", counted=True)
        finally:
            self._tasks.pop(claimed.id, None)
            self.wake()

    async def _edit(self, claimed: ClaimedEdit) -> None:
        platform = claimed.channel.platform.value
        try:
            message = message_from_json(claimed.message)
            route = self._router.route(claimed.channel)
        except (PayloadError, UnroutableError, KeyError, ValueError) as exc:
            await self._stop(claimed, live.ENDED, f"cannot be edited here: {exc}")
            return
        if self._posts_in_hand:  # the worker took up posts since the claim: they go first
            await live.release(self._store.db, claimed)
            return
        try:
            adapter = await self._adapters.get(route.platform, route.transport)
            waited = await self._limiter.acquire(route, editing=True)
            if waited:
                self._metrics.limiter_wait.labels(platform=platform).inc(waited)
            if not await live.renew(
                self._store.db, claimed, lease=self._settings.lease, clock=self._clock
            ):
                return  # the wait outlasted the lease and someone else took the card
            thread = claimed.thread_id
            reply_to = Receipt(message.platform, route.target, thread) if thread else None
            await adapter.edit(route.target, claimed.message_id, message, reply_to=reply_to)
        except AdapterError as exc:
            await self._failed(claimed, route, exc)
            return
        self._metrics.edits.labels(platform=platform).inc()
        now = self._clock()
        await live.edited(
            self._store.db,
            claimed,
            content_hash=content_hash(message.body),
            now=now,
            next_at=now + self._settings.interval,
        )

    async def _failed(self, claimed: ClaimedEdit, route: Route, exc: AdapterError) -> None:
        platform = claimed.channel.platform.value
        if isinstance(exc, RateLimitedError):
            self._metrics.edit_errors.labels(platform=platform, kind="rate_limited").inc()
            self._limiter.block(route, exc.retry_after, editing=True)
            at = self._clock() + dt.timedelta(seconds=exc.retry_after)
            await live.retry_at(self._store.db, claimed, at=at, error=str(exc), counted=False)
        elif isinstance(exc, TargetGoneError):
            self._metrics.edit_errors.labels(platform=platform, kind="gone").inc()
            await self._stop(claimed, live.GONE, f"the message is gone: {exc}")
        elif isinstance(exc, RejectedPayloadError | CannotEditError):
            self._metrics.edit_errors.labels(platform=platform, kind="rejected").inc()
            await self._stop(claimed, live.ENDED, f"the edit was refused: {exc}")
        else:
            self._metrics.edit_errors.labels(platform=platform, kind="transient").inc()
            await self._retry(claimed, str(exc), counted=True)

    async def _retry(self, claimed: ClaimedEdit, error: str, *, counted: bool) -> None:
        delay = backoff(
            claimed.failures + 1,
            base=BACKOFF_BASE_SECONDS,
            cap=BACKOFF_CAP_SECONDS,
            rng=self._rng,
            floor=0.5,
        )
        log.info(
            "live card %d: edit failed (%s); retry in %.0fs",
            claimed.id,
            error,
            delay,
            extra=edit_fields(claimed),
        )
        at = self._clock() + dt.timedelta(seconds=delay)
        await live.retry_at(self._store.db, claimed, at=at, error=error, counted=counted)

    async def _stop(self, claimed: ClaimedEdit, state: str, reason: str) -> None:
        """One line, and the card is never edited again."""
        level = logging.ERROR if state == live.ENDED else logging.INFO
        log.log(
            level,
            "live card %d (message %s in %s): no more edits: %s",
            claimed.id,
            claimed.message_id,
            claimed.channel.label,
            reason,
            extra=edit_fields(claimed),
        )
        await live.stop(self._store.db, claimed, state=state, error=reason)
