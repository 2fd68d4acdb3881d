"""Where papers, digests, subscriptions (with their follows) and the delivery outbox live
(SQLite or PostgreSQL).

Callers open one `Store` per process and use its repositories; each call is its own
transaction. `open_store` runs pending migrations first, so a fresh data folder just works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.store.digests import DigestRepo
from bot.store.engine import Backend, Database
from bot.store.errors import StoreError
from bot.store.fleet import FleetRepo
from bot.store.follows import FollowRepo
from bot.store.ingest import DigestWriter
from bot.store.migrate import upgrade
from bot.store.outbox.repo import DeliveryRepo
from bot.store.papers import PaperRepo
from bot.store.search import Searcher, SearchFilters
from bot.store.shards import ShardRepo
from bot.store.subscriptions import SubscriptionRepo


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.papers = PaperRepo(db)
        self.digests = DigestRepo(db)
        self.writer = DigestWriter(db)
        self.subscriptions = SubscriptionRepo(db)
        self.follows = FollowRepo(db)
        self.deliveries = DeliveryRepo(db)
        self.searcher = Searcher(db)
        self.shards = ShardRepo(db)
        self.fleet = FleetRepo(db)

    @property
    def backend(self) -> Backend:
        return self.db.backend

    async def close(self) -> None:
        await self.db.close()


@asynccontextmanager
async def open_store(
    database_url: str, *, migrate: bool = True, search_path: str | None = None
) -> AsyncIterator[Store]:
    db = await Database.open(database_url, search_path=search_path)
    try:
        if migrate:
            await upgrade(db)
        yield Store(db)
    finally:
        await db.close()


__all__ = ["Backend", "SearchFilters", "Store", "StoreError", "open_store"]
