"""Building the delivery engine in-process for tests: a real store on a temporary SQLite
file (or PostgreSQL), the real adapter pool against the fakes, and waits on the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TextIO

import aiohttp
from prometheus_client import CollectorRegistry

from bot.adapters.factory import AdapterPool
from bot.config import Settings, load_settings
from bot.delivery.engine import DeliveryEngine
from bot.scheduler import Scheduler
from bot.store import Store, open_store
from bot.store.rows import DeliveryState


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FakeClock:
    """Wall-clock time the test moves forward (backoffs, post times), starting from now."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or utc_now()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Engine:
    settings: Settings
    store: Store
    pool: AdapterPool
    engine: DeliveryEngine
    registry: CollectorRegistry

    def metric(self, name: str, **labels: str) -> float:
        """One series of the engine's registry; 0 until something counted it."""
        return self.registry.get_sample_value(name, labels) or 0.0

    async def counts(self) -> dict[DeliveryState, int]:
        return await self.store.deliveries.counts()

    async def eventually(
        self, check: Callable[[], Awaitable[bool]], *, within: float = 30.0
    ) -> None:
        """Until `check()` holds, re-checked every 50 ms with the worker woken each time."""
        async with asyncio.timeout(within):
            while not await check():
                self.engine.worker.wake()
                await asyncio.sleep(0.05)

    async def state(self) -> list[DeliveryState]:
        return [row.state for row in await self.store.deliveries.list()]

    async def drained(self, *, within: float = 60.0) -> dict[DeliveryState, int]:
        """Wait until no post is pending, failed or in flight; returns the final counts."""
        open_states = (DeliveryState.PENDING, DeliveryState.FAILED, DeliveryState.IN_FLIGHT)
        async with asyncio.timeout(within):
            while True:
                counts = await self.counts()
                if not any(counts[s] for s in open_states):
                    return counts
                self.engine.worker.wake()
                await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_engine(
    database_url: str,
    *,
    console: TextIO | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    **overrides: Any,
) -> AsyncIterator[Engine]:
    """Store, session, adapter pool and a started engine; the scheduler is not started
    (tests plan directly), so nothing fires on its own."""
    async with (
        open_store(database_url) as store,
        engine_on(store, console=console, clock=clock, **overrides) as engine,
    ):
        yield engine


@contextlib.asynccontextmanager
async def engine_on(
    store: Store,
    *,
    console: TextIO | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    **overrides: Any,
) -> AsyncIterator[Engine]:
    """A started engine on a store the test already has open."""
    settings = load_settings(**overrides)
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
        AdapterPool(settings, session, console_stream=console) as pool,
    ):
        registry = CollectorRegistry()
        engine = DeliveryEngine(
            settings,
            store,
            pool,
            Scheduler(),
            registry,
            clock=clock,
        )
        await engine.start()
        try:
            yield Engine(settings, store, pool, engine, registry)
        finally:
            await engine.stop()
