"""A separate OS process that plans deliveries; used by the concurrency test."""

from __future__ import annotations

import asyncio
from multiprocessing.synchronize import Barrier
from typing import Any

from bot.store import open_store
from bot.store.rows import DeliveryKind, PlannedDelivery

CHUNK = 10


async def _plan(url: str, search_path: str | None, subscription_id: int, items: int) -> int:
    created = 0
    async with open_store(url, search_path=search_path, migrate=False) as store:
        sub = await store.subscriptions.get_by_id(subscription_id)
        assert sub is not None
        keys = [f"item-{n}" for n in range(items)]
        for start in range(0, items, CHUNK):
            batch = [
                PlannedDelivery(sub.channel, sub.id, DeliveryKind.PAPER, key)
                for key in keys[start : start + CHUNK]
            ]
            created += len(await store.deliveries.plan(batch))
    return created


def plan_deliveries(
    url: str,
    *,
    search_path: str | None,
    subscription_id: int,
    items: int,
    barrier: Barrier,
    results: Any,
) -> None:
    barrier.wait(timeout=60)
    results.put(asyncio.run(_plan(url, search_path, subscription_id, items)))
