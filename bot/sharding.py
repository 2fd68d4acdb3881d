"""Several instances on one database serve the Discord gateway as one bot.

Each shard is served by exactly one live instance, which holds a lease on it in the store
(bot.store.shards). Every third of a lease the scheduler runs `rebalance`:

1. renew this instance's row and leases; a shard whose lease another instance took (ours
   ran out while the database was unreachable) is closed at once;
2. past its fair share (the shard count over the live instances, rounded up), close the
   highest shards' sessions first and only then release their leases, so no two instances
   ever hold sessions of one shard;
3. below it, take free shards (never leased, released, or whose owner stopped renewing)
   and open their sessions.

An instance that cannot renew keeps its sessions only while its last lease runs: after
that another may hold them, so it closes them all and takes them again once the database
answers. A clean stop releases every lease, so the others take the shards at their next
renewal; a SIGKILLed instance's shards are taken once its lease runs out (30 s by default,
plus one renewal period). Each renewal also tells the delivery engine how many instances
are alive, so the budgets Discord and Slack count per bot are split between them.
Identifies go through the store too (one per bucket every 5 s across the fleet), so a
takeover or a restart of every instance stays inside Discord's session start limit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import random
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.discord_gateway import IDENTIFY_INTERVAL, ShardedGateway
from bot.errors import PapersBotError
from bot.poller import utc_now
from bot.retry import backoff
from bot.scheduler import Scheduler
from bot.store.errors import describe_failure
from bot.store.fleet import instance_name
from bot.store.shards import ShardRepo

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

JOB_ID = "discord-shards"
RENEWALS_PER_LEASE = 3
IDENTIFY_RETRY_CAP = 30.0
"""Longest wait between tries of an identify slot while the store does not answer."""


class ShardCoordinator:
    """The shard director of `papers-bot run` (a `bot.adapters.discord_gateway.ShardDirector`)."""

    def __init__(
        self,
        repo: ShardRepo,
        scheduler: Scheduler,
        registry: CollectorRegistry,
        *,
        shard_count: int | None,
        lease_seconds: float,
        instance: str | None = None,
        clock: Clock = utc_now,
        on_fleet_size: Callable[[int], None] | None = None,
    ) -> None:
        self.instance = instance or instance_name()
        self._on_fleet_size = on_fleet_size
        self._repo = repo
        self._scheduler = scheduler
        self._wanted_count = shard_count
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._clock = clock
        self._gateway: ShardedGateway | None = None
        self._count = 0
        self._buckets = 1
        self._held_until: dt.datetime | None = None
        self._owned: set[int] = set()
        self._owned_changed = asyncio.Condition()
        self._lock = asyncio.Lock()
        self._rng = random.Random()
        self._served = Gauge(
            "papers_bot_discord_shard_served",
            "1 for each gateway shard this instance serves (summed over instances: 1 per shard).",
            ("shard",),
            registry=registry,
        )
        registry.register(_LatencyCollector(self))

    @property
    def shard_count(self) -> int:
        return self._count

    def served(self) -> frozenset[int]:
        return self._gateway.served() if self._gateway else frozenset()

    def latencies(self) -> dict[int, float]:
        return self._gateway.latencies() if self._gateway else {}

    async def start(self, gateway: ShardedGateway) -> None:
        """Agree on the shard count, take this instance's share and open it; from then on
        the scheduler rebalances every third of a lease."""
        self._gateway = gateway
        plan = await gateway.plan()
        self._buckets = plan.max_concurrency
        wanted = self._wanted_count or plan.recommended_shards
        self._count = await self._repo.agree_count(self.instance, wanted, now=self._clock())
        if self._count != wanted:
            log.warning(
                "running %d gateway shard(s) like the other instances, not %d; to change the "
                "count, stop every instance and start them with the new DISCORD_SHARD_COUNT",
                self._count,
                wanted,
            )
        for shard in range(self._count):
            self._served.labels(shard=str(shard)).set(0)
        await self.rebalance()
        self._scheduler.add_interval_job(
            JOB_ID, self.rebalance, self._lease.total_seconds() / RENEWALS_PER_LEASE, run_now=False
        )

    async def stop(self) -> None:
        """After every session closed: release the leases for the others to take now."""
        self._scheduler.remove_job(JOB_ID)
        await self._set_owned(())
        try:
            await self._repo.leave(self.instance, now=self._clock())
        except (SQLAlchemyError, OSError, PapersBotError) as exc:
            log.warning(
                "could not release the gateway shards (they free up when the lease runs out): %s",
                describe_failure(exc),
            )

    async def rebalance(self) -> None:
        async with self._lock:
            await self._rebalance()

    async def _rebalance(self) -> None:
        gateway = self._gateway
        assert gateway is not None
        now = self._clock()
        try:
            tenure = await self._repo.renew(self.instance, now=now, ttl=self._lease)
        except (SQLAlchemyError, OSError, PapersBotError) as exc:
            await self._renewal_failed(gateway, now, exc)
            return
        self._held_until = now + self._lease
        if self._on_fleet_size is not None:
            self._on_fleet_size(tenure.live_instances)
        for shard in sorted(gateway.served() - tenure.owned):
            log.warning("gateway shard %d is served by another instance now; closing it", shard)
            await self._close(gateway, shard)
        owned = set(tenure.owned)
        excess = frozenset(sorted(owned)[tenure.fair_share :])
        for shard in sorted(excess):
            await self._close(gateway, shard)
        if excess:
            await self._repo.release(self.instance, excess, now=now)
            log.info("released gateway shard(s) %s for another instance", _ids(excess))
            owned -= excess
        wanted = tenure.fair_share - len(owned)
        taken = await self._repo.take(self.instance, wanted, now=now, ttl=self._lease)
        if taken:
            log.info("serving gateway shard(s) %s of %d", _ids(taken), self._count)
        owned |= taken
        await self._set_owned(owned)
        await gateway.serve(self._count, owned, self.identify_gate)
        for shard in owned:
            self._served.labels(shard=str(shard)).set(1)

    async def _renewal_failed(
        self, gateway: ShardedGateway, now: dt.datetime, exc: BaseException
    ) -> None:
        """Keep serving while the last lease runs; past it another instance may hold our
        shards, so every session is closed until the store answers again."""
        if self._held_until is not None and now < self._held_until:
            log.warning("could not renew the gateway shard leases: %s", describe_failure(exc))
            return
        served = gateway.served()
        if served:
            log.error(
                "gateway shard leases ran out without renewal (%s); closing shard(s) %s",
                describe_failure(exc),
                _ids(served),
            )
        for shard in sorted(served):
            await self._close(gateway, shard)
        await self._set_owned(())

    async def _close(self, gateway: ShardedGateway, shard: int) -> None:
        self._owned.discard(shard)
        self._served.labels(shard=str(shard)).set(0)
        await gateway.drop(shard)

    async def _set_owned(self, shards: Iterable[int]) -> None:
        async with self._owned_changed:
            self._owned = set(shards)
            self._owned_changed.notify_all()

    async def identify_gate(self, shard_id: int) -> None:
        """Wait until this instance holds the shard and the fleet-wide identify slot of its
        bucket is ours. A session of a shard given up while it was reconnecting waits here
        instead of identifying (discord.py gives up after a minute and tries again later)."""
        async with self._owned_changed:
            await self._owned_changed.wait_for(lambda: shard_id in self._owned)
        failures = 0
        interval = dt.timedelta(seconds=IDENTIFY_INTERVAL)
        while True:
            try:
                wait = await self._repo.claim_identify(
                    shard_id % self._buckets, now=self._clock(), interval=interval
                )
            except (SQLAlchemyError, OSError, PapersBotError) as exc:
                failures += 1
                pause = backoff(failures, base=1.0, cap=IDENTIFY_RETRY_CAP, rng=self._rng)
                log.warning("identify slot for shard %d: %s", shard_id, describe_failure(exc))
                await asyncio.sleep(pause)
                continue
            if not wait:
                return
            await asyncio.sleep(wait.total_seconds())


class _LatencyCollector(Collector):
    """Heartbeat latency per served shard, read when /metrics is scraped."""

    def __init__(self, coordinator: ShardCoordinator) -> None:
        self._coordinator = coordinator

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "papers_bot_discord_shard_latency_seconds",
            "Gateway heartbeat round trip of each shard this instance serves.",
            labels=["shard"],
        )
        for shard, latency in sorted(self._coordinator.latencies().items()):
            if not math.isnan(latency):  # NaN until the first heartbeat is acknowledged
                family.add_metric([str(shard)], latency)
        yield family


def _ids(shards: Iterable[int]) -> str:
    return ",".join(str(s) for s in sorted(shards))
