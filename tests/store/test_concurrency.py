"""Two real processes planning the same deliveries at once create each one exactly once."""

from __future__ import annotations

import asyncio
import multiprocessing

from bot.models import ChannelRef, Platform
from bot.store import Store
from bot.store.rows import SubscriptionSettings
from tests.store.conftest import Backend
from tests.store.plan_worker import plan_deliveries

ITEMS = 200
PROCESSES = 2


async def test_two_processes_plan_each_delivery_once(store: Store, backend: Backend) -> None:
    sub = await store.subscriptions.save(
        ChannelRef(Platform.SLACK, "T1", "C1"), SubscriptionSettings()
    )
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=plan_deliveries,
            args=(backend.url,),
            kwargs={
                "search_path": backend.search_path,
                "subscription_id": sub.id,
                "items": ITEMS,
                "barrier": barrier,
                "results": results,
            },
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        await asyncio.to_thread(worker.join, 90)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    created = [results.get(timeout=5) for _ in range(PROCESSES)]

    assert sum(created) == ITEMS
    rows = await store.deliveries.list(subscription_id=sub.id)
    assert len(rows) == ITEMS
    assert len({r.item_key for r in rows}) == ITEMS
