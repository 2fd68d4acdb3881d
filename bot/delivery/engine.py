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
from bot.delivery.jobs import SubscriptionJobs
from bot.delivery.metrics import DeliveryMetrics
from bot.delivery.planner import Planner
from bot.delivery.ratelimit import Limit, Limits, RateLimiter
from bot.delivery.targets import Router, sync_configured_targets
from bot.delivery.worker import AdapterSource, DeliveryWorker, WorkerSettings
from bot.models import SourceKind
from bot.poller import NewDigest
from bot.scheduler import Scheduler
from bot.store import Store
from bot.store.rows import DeliveryKind

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
SYNC_JOB = "subscriptions:sync"


def limits_from(settings: Settings) -> Limits:
    return Limits(
        discord_global=Limit(
            max(1, round(settings.discord_global_per_second)),
            max(1, round(settings.discord_global_per_second)) / settings.discord_global_per_second,
        ),
        discord_channel=Limit(settings.discord_channel_per_5s, 5.0),
        slack_channel=Limit(1, 1 / settings.slack_channel_per_second),
        slack_workspace=Limit.per_minute(settings.slack_workspace_per_minute),
        slack_history=Limit.per_minute(settings.slack_history_per_minute),
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

    async def on_new_digest(self, event: NewDigest) -> None:
        """The poller's hook: a dry run shows the digest at once; otherwise a digest that
        arrived after some channels' post time still reaches them inside the grace period."""
        if self.settings.is_dry_run:
            await self.planner.plan_console(event)
            return
        await self.jobs.catch_up()

    async def after_poll(self, kind: SourceKind) -> None:
        if kind is SourceKind.HF and not self.settings.is_dry_run:
            await self.alerts.check()
