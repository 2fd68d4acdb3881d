"""The delivery engine as one part of the app: planner, cron jobs, alerts and the worker,
built from settings and started and stopped together.

`App` (the composition root) owns one; the poller's new-digest hook and the poll job call
into it, the web server asks it for readiness.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from prometheus_client import CollectorRegistry

from bot.config import Settings
from bot.delivery.alerts import VoteAlerts
from bot.delivery.dry_run import StartupShow
from bot.delivery.edits import AdapterSource, CardEditor, EditSettings
from bot.delivery.jobs import SubscriptionJobs
from bot.delivery.live import LiveCards
from bot.delivery.metrics import DeliveryMetrics
from bot.delivery.planner import Planner
from bot.delivery.ratelimit import EDIT_SHARE, Limit, Limits, RateLimiter
from bot.delivery.targets import Router, sync_configured_targets
from bot.delivery.worker import DeliveryWorker, WorkerSettings
from bot.models import SourceKind
from bot.poller import NewDigest, PollReport
from bot.scheduler import Scheduler
from bot.store import Store
from bot.store.rows import DeliveryKind

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
SYNC_JOB = "subscriptions:sync"


def per_second(rate: float, *, averaged: bool = False) -> Limit:
    """`rate` requests a second as the smallest window holding whole requests."""
    whole = max(1, round(rate))
    return Limit(whole, whole / rate, averaged)


def limits_from(settings: Settings) -> Limits:
    return Limits(
        discord_global=per_second(settings.discord_global_per_second),
        discord_edits=per_second(settings.discord_global_per_second * EDIT_SHARE, averaged=True),
        discord_channel=Limit(settings.discord_channel_per_5s, 5.0),
        discord_edit_channel=Limit(settings.discord_channel_per_5s, 5.0),
        slack_channel=Limit(1, 1 / settings.slack_channel_per_second),
        slack_workspace=Limit.per_minute(settings.slack_workspace_per_minute),
        slack_history=Limit.per_minute(settings.slack_history_per_minute),
    )


def edit_settings(settings: Settings) -> EditSettings:
    """The editor's lease is renewed right before each request, so it must outlast one
    send timeout: at least twice that."""
    timeout = settings.http_timeout
    return EditSettings(
        interval=dt.timedelta(seconds=settings.live_cards_edit_interval),
        lease=dt.timedelta(seconds=max(settings.delivery_lease_seconds, 2 * timeout)),
        settle=dt.timedelta(seconds=timeout),
    )


class DeliveryEngine:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        adapters: AdapterSource,
        scheduler: Scheduler,
        registry: CollectorRegistry,
        *,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.store = store
        self.scheduler = scheduler
        self.router = Router(settings)
        self.metrics = DeliveryMetrics(registry)
        self.limiter = RateLimiter(limits_from(settings))
        self.live = LiveCards(
            store,
            window=dt.timedelta(hours=settings.live_cards_window_hours),
            interval=dt.timedelta(seconds=settings.live_cards_edit_interval),
            clock=clock,
            on_planned=self._edits_planned,
        )
        editor = (
            CardEditor(
                store,
                adapters,
                self.router,
                self.limiter,
                self.metrics,
                settings=edit_settings(settings),
                clock=clock,
            )
            if self.live.enabled
            else None
        )
        self.worker = DeliveryWorker(
            store,
            adapters,
            self.router,
            self.limiter,
            self.metrics,
            settings=WorkerSettings(
                concurrency=settings.delivery_concurrency,
                max_attempts=settings.delivery_max_attempts,
                lease=dt.timedelta(seconds=settings.delivery_lease_seconds),
                settle=dt.timedelta(seconds=settings.http_timeout),
            ),
            clock=clock,
            editor=editor,
        )
        self.planner = Planner(
            store,
            clock=clock,
            on_planned=self._planned,
        )
        self.jobs = SubscriptionJobs(
            store,
            scheduler,
            self.planner,
            self.router,
            grace=dt.timedelta(minutes=settings.post_grace_minutes),
            clock=clock,
            on_due=self.worker.wake,
        )
        self.alerts = VoteAlerts(store, self.planner, days=settings.alert_days, clock=clock)
        self.show = (
            StartupShow(
                store,
                adapters,
                self.router,
                sources=[SourceKind(name) for name in settings.sources],
                poll_interval=settings.poll_interval,
                clock=clock,
            )
            if settings.is_dry_run
            else None
        )

    def _edits_planned(self, count: int) -> None:
        self.metrics.edits_planned.inc(count)
        self.worker.wake()

    def _planned(self, kind: DeliveryKind) -> None:
        self.metrics.planned.labels(kind=kind.value).inc()
        self.worker.wake()

    async def start(self) -> None:
        """Before the scheduler starts: targets synced, worker running, jobs registered,
        missed posts inside the grace period planned."""
        await sync_configured_targets(self.store, self.router, self.settings)
        await self.worker.start()
        await self.jobs.sync()
        caught_up = await self.jobs.catch_up()
        if caught_up:
            log.info("%d post(s) missed while the bot was down planned now", caught_up)
        self.scheduler.add_interval_job(
            SYNC_JOB, self.jobs.sync, self.settings.subscription_sync_seconds, run_now=False
        )

    async def stop(self) -> None:
        await self.worker.stop()

    async def on_new_digest(self, _event: NewDigest) -> None:
        """The poller's hook: a digest that arrived after some channels' post time (the
        console's too, in a dry run) still reaches them inside the grace period."""
        await self.jobs.catch_up()

    async def live_days(self) -> set[dt.date]:
        """The poller's extra HF days: those whose posted cards are still live."""
        return await self.live.days()

    async def after_poll(self, report: PollReport) -> None:
        """After each poll: vote alerts and live-card edits once the HF votes are fresh;
        in a dry run, the start-up show once every source has been polled."""
        if report.source is SourceKind.HF:
            await self.alerts.check()
            await self.live.refresh()
        if self.show is not None:
            await self.show.after_poll(report)
