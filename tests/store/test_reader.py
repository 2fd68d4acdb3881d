"""The search reader's own connections: they see what was just written, and on PostgreSQL
they survive the server dropping them."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.store import Backend, Store
from tests.store.conftest import pg_url
from tests.store.factories import digest, paper

FIRST = paper("2405.00001", title="Gated Retrieval Experts")
SECOND = paper("2405.00002", title="Gated Memory Routers")


async def _arxiv_ids(store: Store, query: str) -> list[str | None]:
    return [hit.paper.arxiv_id for hit in await store.searcher.search(query)]


async def test_a_search_sees_papers_saved_after_its_connection_opened(store: Store) -> None:
    await store.writer.save(digest(FIRST))
    assert await _arxiv_ids(store, "gated") == ["2405.00001"]  # the reader connects here
    await store.writer.save(digest(SECOND))
    assert set(await _arxiv_ids(store, "gated")) == {"2405.00001", "2405.00002"}
    assert await _arxiv_ids(store, "2405.00002") == ["2405.00002"]


async def test_search_recovers_when_postgresql_drops_its_connections(store: Store) -> None:
    if store.backend is not Backend.POSTGRES:
        pytest.skip("SQLite readers open a file; there is no server to drop them")
    await store.writer.save(digest(FIRST))
    # Two reads at once: the reader's whole pool is connected, and we learn its sessions.
    pids = set(await asyncio.gather(*(store.db.run_read(_backend_pid) for _ in range(2))))
    assert len(pids) == 2
    admin = await asyncpg.connect(pg_url().replace("postgresql://", "postgres://"), timeout=3)
    try:
        for pid in pids:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    assert await _arxiv_ids(store, "retrieval") == ["2405.00001"]
    assert await store.db.run_read(_backend_pid) not in pids


def _backend_pid(conn: Connection) -> int:
    pid = conn.execute(sa.text("SELECT pg_backend_pid() FROM pg_sleep(0.2)")).scalar_one()
    assert isinstance(pid, int)
    return pid
