"""The delivery worker: claims due posts from the outbox and gets them to the platforms.

One task per post (one channel's messages, in order), up to `concurrency` per platform, so
a slow Slack workspace never holds Discord back. For each message: if it may already have
landed, ask the platform first (`reconcile`); wait for the rate limiter; send with the
message's own idempotency key; write the progress. Failures end the attempt:
- 429: retry after Retry-After (not counted against the post);
- transient (5xx, timeout, dropped connection): exponential backoff with full jitter, and the
  message is marked uncertain so the retry looks before it sends;
- target gone (403/404, channel archived, webhook deleted): the subscription is paused
  with the reason, the post waits for /resume;
- rejected payload (400): a rendering bug; that message is skipped, the rest go out;
- `max_attempts` consecutive failures of one message: dead-lettered with the reason.

Its second lane, the editor (`bot.delivery.edits`), edits messages already posted (live
cards): started and stopped with the worker, and holding back while it has posts in hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.adapters.base import (
    Adapter,
    AdapterError,
    AuthenticationError,
    RateLimitedError,
    Receipt,
    RejectedPayloadError,
    TargetGoneError,
)
from bot.delivery.edits import AdapterSource, CardEditor
from bot.delivery.metrics import DeliveryMetrics
from bot.delivery.pacing import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_CAP_SECONDS,
    BACKOFF_FLOOR,
    IDLE_RECHECK,
    QUIET_RECHECK,
    STOP_GRACE,
)
from bot.delivery.payload import PayloadError, Post
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.targets import Route, Router, UnroutableError
from bot.models import Platform
from bot.retry import backoff
from bot.store import Store
from bot.store.engine import Backend
from bot.store.outbox import claims as queries
from bot.store.rows import DeliveryKind

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
COUNTS_EVERY = 5.0
PAUSE_ACTOR = "delivery"


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    concurrency: int = 32
    max_attempts: int = 8
    lease: dt.timedelta = dt.timedelta(seconds=60)
    settle: dt.timedelta = dt.timedelta(seconds=20)
    """How long after its start a send may still land: the send timeout. A post whose
    owner died mid-send is looked up only once this has passed since the owner's last
    progress, or a request still on its way would land after the look-up found nothing."""


@dataclass
class _Active:
    claimed: queries.Claimed
    task: asyncio.Task[None] | None = None
    post: Post | None = None
    """How far the post got, kept current so whatever ends the attempt (an error, a
    shutdown) records the progress made, never the payload as claimed."""
    sending: bool = False
    """A send is under way: stopped now, its message may or may not have landed."""
    stop_after_message: bool = False


def log_fields(claimed: queries.Claimed) -> dict[str, object]:
    """What a log line about this post carries as structured fields (`bot.logs.FIELDS`);
    a digest's item is its day."""
    fields: dict[str, object] = {
        "platform": claimed.channel.platform.value,
        "channel": claimed.channel.label,
        "delivery_id": claimed.id,
        "subscription_id": claimed.subscription_id,
    }
    if claimed.kind is DeliveryKind.DIGEST:
        fields["day"] = claimed.item_key
    return fields


def _error_kind(exc: AdapterError) -> str:
    if isinstance(exc, RateLimitedError):
        return "rate_limited"
    if isinstance(exc, TargetGoneError):
        return "target_gone"
    if isinstance(exc, RejectedPayloadError):
        return "rejected"
    if isinstance(exc, AuthenticationError):
        return "auth"
    return "transient"


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        adapters: AdapterSource,
        router: Router,
        limiter: RateLimiter,
        metrics: DeliveryMetrics,
        *,
        settings: WorkerSettings | None = None,
        clock: Clock,
        rng: random.Random | None = None,
        editor: CardEditor | None = None,
    ) -> None:
        """`editor`, when given, sends live-card edits while no post is waiting."""
        self._store = store
        self._adapters = adapters
        self._router = router
        self._limiter = limiter
        self._metrics = metrics
        self._settings = settings or WorkerSettings()
        self._clock = clock
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._stopping = False
        self._active: dict[int, _Active] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._counts_at = 0.0
        self._editor = editor
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        return self._loop_task is not None and not self._loop_task.done()

    @property
    def in_flight(self) -> int:
        return len(self._active)

    @property
    def posts_in_hand(self) -> bool:
        """Posts are being sent from here: live-card edits hold back until they are out."""
        return bool(self._active)

    def wake(self) -> None:
        self._wake.set()
        if self._editor is not None:
            self._editor.wake()

    async def start(self) -> None:
        if self._store.backend is Backend.SQLITE:
            orphans = await queries.expire_leases(self._store.db, now=self._clock())
            if orphans:
                log.warning(
                    "%d post(s) were in flight when the bot last stopped; checking", orphans
                )
        self._loop_task = asyncio.create_task(self._loop(), name="delivery-worker")
        self._heartbeat_task = asyncio.create_task(self._heartbeat(), name="delivery-lease")
        if self._editor is not None:
            await self._editor.start(self)

    async def stop(self, *, grace: float = STOP_GRACE) -> None:
        """Claim nothing more; posts finish their current message and are released."""
        self._stopping = True
        self.wake()
        if self._editor is not None:
            await self._editor.stop(grace=grace)
        for active in self._active.values():
            active.stop_after_message = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        tasks = [a.task for a in self._active.values() if a.task is not None]
        if tasks:
            log.info("waiting for %d post(s) in flight", len(tasks))
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat_task

    async def deliver_now(self, ids: Sequence[int]) -> None:
        """Send these outbox rows in this process and return once each attempt has ended
        (`papers-bot post`, which has no claim loop of its own). A row another process
        holds, or one queued behind an earlier post in its channel, is left where it is."""
        claimed = await queries.claim(
            self._store.db,
            platforms=self._router.platforms(),
            limit=len(ids),
            lease=self._settings.lease,
            clock=self._clock,
            only=ids,
        )
        tasks = []
        for row in claimed:
            active = _Active(row)
            self._active[row.id] = active
            active.task = asyncio.create_task(self._deliver(active), name=f"delivery-{row.id}")
            tasks.append(active.task)
        await asyncio.gather(*tasks)

    # -- the claim loop ------------------------------------------------------------------
    async def _loop(self) -> None:
        platforms = self._router.platforms()
        while not self._stopping:
            self._wake.clear()
            claimed_any = False
            try:
                for platform in platforms:
                    claimed_any |= await self._claim(platform)
                await self._refresh_gauges()
                wait = await self._next_wait(platforms, claimed_any)
            except Exception as exc:  # the store is down: say so, try again shortly
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("delivery worker: %s", self.last_error)
                wait = IDLE_RECHECK
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def _claim(self, platform: Platform) -> bool:
        busy = [a for a in self._active.values() if a.claimed.channel.platform is platform]
        free = self._settings.concurrency - len(busy)
        if free <= 0:
            return False
        claimed = await queries.claim(
            self._store.db,
            platforms=[platform],
            limit=free,
            lease=self._settings.lease,
            clock=self._clock,
            exclude=[a.claimed.channel for a in busy],
        )
        for row in claimed:
            active = _Active(row)
            self._active[row.id] = active
            active.task = asyncio.create_task(self._deliver(active), name=f"delivery-{row.id}")
        self.last_error = None
        return bool(claimed)

    async def _next_wait(self, platforms: list[Platform], claimed_any: bool) -> float:
        if claimed_any:
            return 0.0
        due = await queries.next_due(self._store.db, platforms=platforms)
        if due is None:
            return QUIET_RECHECK
        seconds = (due - self._clock()).total_seconds()
        return IDLE_RECHECK if seconds <= 0 else min(seconds, QUIET_RECHECK)

    async def _refresh_gauges(self) -> None:
        now = time.monotonic()
        if now - self._counts_at >= COUNTS_EVERY:
            self._counts_at = now
            self._metrics.set_counts(await self._store.deliveries.counts())
            oldest = await queries.oldest_open(self._store.db)
            self._metrics.set_lag(oldest, platforms=self._router.platforms(), now=self._clock())

    async def _heartbeat(self) -> None:
        every = self._settings.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            held = [a.claimed for a in self._active.values()]
            try:
                kept = await queries.extend_leases(
                    self._store.db, held, lease=self._settings.lease, clock=self._clock
                )
            except Exception as exc:  # the store is down: the next beat tries again
                log.warning("delivery lease heartbeat failed: %s: %s", type(exc).__name__, exc)
                continue
            for claimed in held:
                active = self._active.get(claimed.id)
                if claimed.id not in kept and active is not None:
                    log.warning(
                        "delivery %d was taken over by another worker; leaving it",
                        claimed.id,
                        extra=log_fields(claimed),
                    )
                    active.stop_after_message = True

    # -- one post --------------------------------------------------------------------------
    async def _deliver(self, active: _Active) -> None:
        claimed = active.claimed
        try:
            post = Post.from_payload(claimed.payload)
            if claimed.orphaned:  # its owner died mid-send: look before sending again
                post = post.failed(uncertain=True, counted=False)
                await self._settle(claimed)
            active.post = post
            route = self._router.route(claimed.channel)
            adapter = await self._adapters.get(route.platform, route.transport)
            await self._send_all(active, adapter, route)
        except asyncio.CancelledError:
            await self._release(claimed, active.post, uncertain=active.sending)
            raise
        except (PayloadError, UnroutableError) as exc:
            self._metrics.errors.labels(
                platform=claimed.channel.platform.value, kind="unroutable"
            ).inc()
            await self._dead(claimed, active.post, str(exc))
        except AdapterError as exc:  # the adapter could not even start (login refused...)
            await self._failed_unsent(active, exc, uncertain=False)
        except Exception:
            # Most likely the store failed while recording progress: the message in hand
            # may have landed, so the retry looks first.
            log.exception("delivery %d failed unexpectedly", claimed.id, extra=log_fields(claimed))
            await self._failed_unsent(active, AdapterError("unexpected error"), uncertain=True)
        finally:
            self._active.pop(claimed.id, None)
            self.wake()

    async def _settle(self, claimed: queries.Claimed) -> None:
        """Wait until the dead owner's last send can no longer be on its way."""
        wait = (claimed.previous_update + self._settings.settle - self._clock()).total_seconds()
        if wait > 0:
            log.debug("delivery %d: waiting %.1f s for a send in flight to land", claimed.id, wait)
            await asyncio.sleep(wait)

    async def _failed_unsent(self, active: _Active, exc: AdapterError, *, uncertain: bool) -> None:
        if active.post is None:  # unreachable in practice: the payload was read first
            await self._dead(active.claimed, None, str(exc))
            return
        await self._failed(active.claimed, active.post, exc, uncertain=uncertain)

    async def _send_all(self, active: _Active, adapter: Adapter, route: Route) -> None:
        claimed = active.claimed
        platform = claimed.channel.platform.value
        assert active.post is not None
        post = active.post
        uncertain = post.uncertain
        since = claimed.previous_update
        while not post.done:
            if active.stop_after_message:
                await self._release(claimed, post, uncertain=False)
                return
            index = post.next_index
            message = post.messages[index]
            key = f"{claimed.idempotency_key}.{index}"
            header = post.header_id()
            reply_to = (
                Receipt(message.platform, route.target, header)
                if message.in_thread and header
                else None
            )
            receipt: Receipt | None = None
            try:
                if uncertain:
                    waited = await self._limiter.acquire(route, reading=True)
                    if waited:
                        self._metrics.limiter_wait.labels(platform=platform).inc(waited)
                    receipt = await adapter.find_sent(
                        route.target,
                        message,
                        key,
                        since=since,
                        now=self._clock(),
                        reply_to=reply_to,
                    )
                    outcome = "found" if receipt else "resend"
                    self._metrics.reconciled.labels(platform=platform, outcome=outcome).inc()
                if receipt is None:
                    waited = await self._limiter.acquire(route)
                    if waited:
                        self._metrics.limiter_wait.labels(platform=platform).inc(waited)
                    started = time.perf_counter()
                    active.sending = True  # left set if the send is cancelled
                    try:
                        receipt = await adapter.send(
                            route.target, message, reply_to=reply_to, idempotency_key=key
                        )
                    finally:
                        self._metrics.send_duration.labels(platform=platform).observe(
                            time.perf_counter() - started
                        )
                    self._metrics.messages.labels(platform=platform).inc()
            except RejectedPayloadError as exc:
                self._metrics.errors.labels(platform=platform, kind="rejected").inc()
                log.error(
                    "delivery %d message %d rejected, skipped: %s",
                    claimed.id,
                    index,
                    exc,
                    extra=log_fields(claimed),
                )
                post = post.advanced(None, f"message {index} rejected: {exc}")
            except AdapterError as exc:
                active.sending = False
                await self._on_error(claimed, route, post, exc)
                return
            else:
                assert receipt is not None
                post = post.advanced(receipt.message_id)
            active.post, active.sending = post, False
            uncertain = False
            if not post.done and not await self._progress(claimed, post):
                return
        await self._sent(claimed, post)

    async def _progress(self, claimed: queries.Claimed, post: Post) -> bool:
        kept = await queries.save_progress(
            self._store.db,
            claimed,
            post.to_payload(),
            lease=self._settings.lease,
            clock=self._clock,
        )
        if not kept:
            log.warning(
                "delivery %d was taken over by another worker; leaving it",
                claimed.id,
                extra=log_fields(claimed),
            )
        return kept

    async def _sent(self, claimed: queries.Claimed, post: Post) -> None:
        now = self._clock()
        last = next((m for m in reversed(post.sent) if m), None)
        first = next((m for m in post.sent if m), last)
        await queries.mark_sent(
            self._store.db,
            claimed,
            post.to_payload(),
            message_id=first,
            error="; ".join(post.problems) or None,
            now=now,
        )
        self._metrics.latency.labels(platform=claimed.channel.platform.value).observe(
            (now - claimed.created_at).total_seconds()
        )

    async def _on_error(
        self, claimed: queries.Claimed, route: Route, post: Post, exc: AdapterError
    ) -> None:
        platform = claimed.channel.platform.value
        kind = _error_kind(exc)
        self._metrics.errors.labels(platform=platform, kind=kind).inc()
        if isinstance(exc, RateLimitedError):
            self._metrics.rate_limited.labels(platform=platform).inc()
            self._limiter.block(route, exc.retry_after)
            retry_at = self._clock() + dt.timedelta(seconds=exc.retry_after)
            await queries.mark_failed(
                self._store.db,
                claimed,
                post.failed(uncertain=False, counted=False).to_payload(),
                error=str(exc),
                retry_at=retry_at,
                now=self._clock(),
            )
            return
        if isinstance(exc, TargetGoneError) and claimed.subscription_id is None:
            await self._dead(claimed, post, f"the bot cannot post there: {exc}")
            return
        if isinstance(exc, TargetGoneError):
            await self._pause(claimed, str(exc))
            await queries.mark_failed(
                self._store.db,
                claimed,
                post.failed(uncertain=False, counted=False).to_payload(),
                error=str(exc),
                retry_at=self._clock(),
                now=self._clock(),
            )
            return
        await self._failed(claimed, post, exc, uncertain=not isinstance(exc, AuthenticationError))

    async def _failed(
        self, claimed: queries.Claimed, post: Post, exc: AdapterError, *, uncertain: bool
    ) -> None:
        post = post.failed(uncertain=uncertain)
        if post.tries >= self._settings.max_attempts:
            await self._dead(claimed, post, f"{post.tries} attempts failed; last: {exc}")
            return
        delay = backoff(
            post.tries,
            base=BACKOFF_BASE_SECONDS,
            cap=BACKOFF_CAP_SECONDS,
            rng=self._rng,
            floor=BACKOFF_FLOOR,
        )
        log.info(
            "delivery %d to %s failed (%s); retry %d in %.0fs",
            claimed.id,
            claimed.channel.label,
            exc,
            post.tries,
            delay,
            extra=log_fields(claimed),
        )
        await queries.mark_failed(
            self._store.db,
            claimed,
            post.to_payload(),
            error=str(exc),
            retry_at=self._clock() + dt.timedelta(seconds=delay),
            now=self._clock(),
        )

    async def _dead(self, claimed: queries.Claimed, post: Post | None, reason: str) -> None:
        log.error(
            "delivery %d to %s dead-lettered: %s",
            claimed.id,
            claimed.channel.label,
            reason,
            extra=log_fields(claimed),
        )
        self._metrics.dead.labels(platform=claimed.channel.platform.value).inc()
        payload = post.to_payload() if post is not None else claimed.payload
        await queries.mark_dead(self._store.db, claimed, payload, error=reason, now=self._clock())

    async def _pause(self, claimed: queries.Claimed, detail: str) -> None:
        reason = f"the bot cannot post there: {detail}"
        await self._store.subscriptions.set_paused(
            claimed.channel, True, reason=reason, actor=PAUSE_ACTOR, now=self._clock()
        )
        self._metrics.paused.labels(platform=claimed.channel.platform.value).inc()
        log.warning(
            "subscription %s paused: %s", claimed.channel.label, reason, extra=log_fields(claimed)
        )

    async def _release(
        self, claimed: queries.Claimed, post: Post | None, *, uncertain: bool
    ) -> None:
        """Hand a post back at shutdown, due at once, with what we know of its progress."""
        if post is None:
            payload = claimed.payload
        else:
            payload = post.failed(uncertain=uncertain or post.uncertain, counted=False).to_payload()
        with contextlib.suppress(Exception):
            await asyncio.shield(
                queries.mark_failed(
                    self._store.db,
                    claimed,
                    payload,
                    error="released at shutdown",
                    retry_at=self._clock(),
                    now=self._clock(),
                )
            )
