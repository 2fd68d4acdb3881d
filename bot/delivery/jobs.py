"""One cron job per post time: every subscription posting at the same local time in the
same zone is planned together, every day, in that zone.

The job set follows the subscriptions table: `sync()` adds and removes slot jobs as
subscriptions come, go, pause or change their time, and runs on an interval, so a change
made from chat (in this process or another) takes effect without a restart. A slot's job
reads its subscriptions when it fires, so a change since the last sync is seen too.
`catch_up()` plans each slot's latest occurrence again when it is still inside the grace
period: at start-up (a post missed while the bot was down) and when a digest arrives late.
Planning is idempotent, so a caught-up occurrence that was already planned adds nothing: a
post is never made twice.

With several instances on one PostgreSQL database every instance runs every job; the first
plans each post, and each one wakes its delivery worker (`on_due`), so all of them share the
fan-out at once instead of the others noticing the new rows at their next idle re-check.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence

from apscheduler.triggers.cron import CronTrigger

from bot.delivery.planner import Outcome, Planner, PlanResult
from bot.delivery.targets import Router
from bot.models import ChannelRef
from bot.post_time import PostTime, PostTimeError
from bot.scheduler import Scheduler
from bot.store import Store
from bot.store.rows import Subscription

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
JOB_PREFIX = "post:"
Slot = tuple[str, str]
"""A post time as stored: (HH:MM, IANA zone)."""
Parsed = dict[Slot, PostTime | str]
"""Slots parsed in one pass: the post time, or why the slot does not parse."""


def daily_trigger(post_time: PostTime) -> CronTrigger:
    """Every day at the post time, in its zone."""
    at = post_time.at
    return CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=post_time.zone)


def job_id(slot: Slot) -> str:
    return f"{JOB_PREFIX}{slot[0]}@{slot[1]}"


def slot_of(sub: Subscription) -> Slot:
    return (sub.settings.post_time, sub.settings.timezone)


def summary(results: Sequence[PlanResult]) -> str:
    """ "3 planned, 1 already planned" for a log line."""
    counts = collections.Counter(r.outcome for r in results)
    return ", ".join(f"{counts[o]} {o.value}" for o in Outcome if counts[o]) or "no subscription"


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
        self._slots: dict[Slot, int] = {}
        """Scheduled slots and how many subscriptions each had at the last sync."""
        self._bad: dict[ChannelRef, Slot] = {}
        """Channels whose stored post time cannot be parsed, as last warned about."""

    @property
    def count(self) -> int:
        """Subscriptions scheduled at the last sync."""
        return sum(self._slots.values())

    def _wanted(self, channel: ChannelRef, paused: bool) -> bool:
        """Active and postable from this process (a dry run's console channel too)."""
        return not paused and self._router.can_route(channel)

    def _post_time(
        self, slot: Slot, channel: ChannelRef, paused: bool, parsed: Parsed
    ) -> PostTime | None:
        """When the channel posts from here: None if it is paused or not postable from this
        process, or its slot does not parse. Slots are parsed once per pass (`parsed`
        keeps the post time, or why it does not parse): ten thousand subscriptions share
        a few. A channel whose slot does not parse is warned about once, until its slot
        changes."""
        if not self._wanted(channel, paused):
            return None
        if slot not in parsed:
            try:
                parsed[slot] = PostTime.parse(*slot)
            except PostTimeError as exc:
                parsed[slot] = str(exc)
        found = parsed[slot]
        if isinstance(found, PostTime):
            return found
        if self._bad.get(channel) != slot:
            self._bad[channel] = slot
            log.warning(
                "subscription %s is not scheduled: %s",
                channel.channel_id,
                found,
                extra={"channel": channel.label},
            )
        return None

    async def sync(self) -> None:
        """Add and remove slot jobs to match the subscriptions. It reads schedules only
        (no settings to decode), so with ten thousand subscriptions a sync every few
        seconds stays a few milliseconds of the event loop's time."""
        counts: collections.Counter[Slot] = collections.Counter()
        times: dict[Slot, PostTime] = {}
        parsed: Parsed = {}
        for schedule in await self._store.subscriptions.schedules():
            slot = (schedule.post_time, schedule.timezone)
            post_time = self._post_time(slot, schedule.channel, schedule.paused, parsed)
            if post_time is not None:
                times[slot] = post_time
                counts[slot] += 1
        for slot, count in counts.items():
            if slot not in self._slots:
                self._scheduler.add_job(job_id(slot), self._job(slot), daily_trigger(times[slot]))
            self._slots[slot] = count
        for gone in set(self._slots) - set(counts):
            self._scheduler.remove_job(job_id(gone))
            del self._slots[gone]

    async def catch_up(self) -> int:
        """Plan every slot's latest occurrence still inside the grace period; returns how
        many posts that added."""
        found: dict[Slot, tuple[PostTime, list[Subscription]]] = {}
        parsed: Parsed = {}
        for sub in await self._store.subscriptions.list(active_only=True):
            slot = slot_of(sub)
            post_time = self._post_time(slot, sub.channel, sub.paused, parsed)
            if post_time is not None:
                found.setdefault(slot, (post_time, []))[1].append(sub)
        planned = 0
        now = self._clock()
        for post_time, subs in found.values():
            occurrence = post_time.latest(now)
            if now - occurrence <= self._grace:
                results = await self._planner.plan_slot(subs, occurrence)
                planned += sum(r.outcome in (Outcome.PLANNED, Outcome.NOTE) for r in results)
        return planned

    def _job(self, slot: Slot) -> Callable[[], Awaitable[None]]:
        async def post() -> None:
            listed = await self._store.subscriptions.list(
                active_only=True, post_time=slot[0], timezone=slot[1]
            )
            subs = [sub for sub in listed if self._wanted(sub.channel, sub.paused)]
            occurrence = PostTime.parse(*slot).latest(self._clock())
            results = await self._planner.plan_slot(subs, occurrence)
            self._on_due()
            log.info("post time %s %s: %s", slot[0], slot[1], summary(results))

        return post
