"""One cron job per subscription: its post time, every day, in its own time zone.

The job set follows the subscriptions table: `sync()` adds, replaces (time or zone changed)
and removes jobs, and runs on an interval, so a change made from chat (in this process or
another) takes effect without a restart. `catch_up()` runs each subscription's latest
occurrence again when it is still inside the grace period: at start-up (a post missed while
the bot was down) and when a digest arrives late. Planning is idempotent, so a caught-up
occurrence that was already planned adds nothing: a post is never made twice.

With several instances on one PostgreSQL database every instance runs every job; the first
plans the post, and each one wakes its delivery worker (`on_due`), so all of them share the
fan-out at once instead of the others noticing the new rows at their next idle re-check.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from apscheduler.triggers.cron import CronTrigger

from bot.delivery.planner import Outcome, Planner
from bot.delivery.targets import Router, is_implicit
from bot.post_time import PostTime, PostTimeError
from bot.scheduler import Scheduler
from bot.store import Store
from bot.store.rows import Subscription

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
JOB_PREFIX = "post:"


def daily_trigger(post_time: PostTime) -> CronTrigger:
    """Every day at the post time, in its zone."""
    at = post_time.at
    return CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=post_time.zone)


def job_id(subscription_id: int) -> str:
    return f"{JOB_PREFIX}{subscription_id}"


class SubscriptionJobs:
    def __init__(
        self,
        store: Store,
        scheduler: Scheduler,
        planner: Planner,
        router: Router,
        *,
        grace: dt.timedelta,
        clock: Clock,
        on_due: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._on_due = on_due
        self._scheduler = scheduler
        self._planner = planner
        self._router = router
        self._grace = grace
        self._clock = clock
        self._scheduled: dict[int, tuple[str, str]] = {}
        self._bad: dict[int, tuple[str, str]] = {}

    @property
    def count(self) -> int:
        return len(self._scheduled)

    def _wanted(self, sub: Subscription) -> bool:
        routable = self._router.can_route(sub.channel)
        return routable and not sub.paused and not is_implicit(sub)

    def _post_time(self, sub: Subscription) -> PostTime | None:
        signature = (sub.settings.post_time, sub.settings.timezone)
        try:
            return PostTime.parse(*signature)
        except PostTimeError as exc:
            if self._bad.get(sub.id) != signature:
                self._bad[sub.id] = signature
                log.warning(
                    "subscription %s is not scheduled: %s",
                    sub.channel.channel_id,
                    exc,
                    extra={"channel": sub.channel.label, "subscription_id": sub.id},
                )
            return None

    async def sync(self) -> None:
        subs = await self._store.subscriptions.list()
        seen: set[int] = set()
        for sub in subs:
            if not self._wanted(sub):
                continue
            post_time = self._post_time(sub)
            if post_time is None:
                continue
            seen.add(sub.id)
            signature = (sub.settings.post_time, sub.settings.timezone)
            if self._scheduled.get(sub.id) != signature:
                self._scheduler.add_job(job_id(sub.id), self._job(sub.id), daily_trigger(post_time))
                self._scheduled[sub.id] = signature
        for gone in set(self._scheduled) - seen:
            self._scheduler.remove_job(job_id(gone))
            del self._scheduled[gone]

    async def catch_up(self) -> int:
        """Plan every latest occurrence still inside the grace period; returns how many
        posts that added."""
        planned = 0
        now = self._clock()
        for sub in await self._store.subscriptions.list(active_only=True):
            if not self._wanted(sub):
                continue
            post_time = self._post_time(sub)
            if post_time is None:
                continue
            occurrence = post_time.latest(now)
            if now - occurrence <= self._grace:
                result = await self._planner.plan_occurrence(sub, occurrence)
                planned += result.outcome in (Outcome.PLANNED, Outcome.NOTE)
        return planned

    def _job(self, subscription_id: int) -> Callable[[], Awaitable[None]]:
        async def post() -> None:
            sub = await self._store.subscriptions.get_by_id(subscription_id)
            if sub is None or not self._wanted(sub):
                return
            post_time = self._post_time(sub)
            if post_time is None:
                return
            occurrence = post_time.latest(self._clock())
            result = await self._planner.plan_occurrence(sub, occurrence)
            self._on_due()
            log.info(
                "post time of %s:%s (%s %s): %s%s",
                sub.channel.platform.value,
                sub.channel.channel_id,
                sub.settings.post_time,
                sub.settings.timezone,
                result.outcome.value,
                f" ({result.day})" if result.day else "",
                extra={
                    "platform": sub.channel.platform.value,
                    "channel": sub.channel.label,
                    "subscription_id": sub.id,
                    "day": result.day.isoformat() if result.day else None,
                },
            )

        return post
