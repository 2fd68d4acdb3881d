"""Latency-critical reads (archive search), each run whole on a connection kept for them.

SQLite: through aiosqlite every statement costs four hand-offs between the event loop and the
driver's thread (cursor, execute, fetch, close), about 0.1 ms each: a search of three
statements paid more for the hand-offs than for SQLite. Here a whole read (search, then
loading the papers it found) is one hand-off to a thread that holds a plain read-only
connection to the same file, so the event loop never blocks and the work pays one round trip.

WAL mode lets these readers see every committed write without waiting for writers.

PostgreSQL: a small pool of its own whose sessions plan for index probes. Search statements
end in LIMIT, and for a query of common words the planner's row estimate makes a sequential
scan that stops after LIMIT rows look cheap; when the words rarely meet, that scan reads the
whole table (seen: 180 ms at 100,000 papers instead of 1 ms). These sessions disable
sequential scans, so every probe goes through its index, and JIT, whose compile time would
dwarf any search. The rest of the bot keeps the planner's defaults.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

READ_THREADS = 2
PG_READ_POOL = 2
PG_SEARCH_SETTINGS = {
    "enable_seqscan": "off",
    "jit": "off",
    "application_name": "papers-bot search",
}
# Memory-mapped reads skip a copy and a system call per page, and need no page cache of
# SQLite's own: the pages are the OS's file cache, shared, and dropped under memory pressure.
MMAP_BYTES = 1 << 30
BUSY_TIMEOUT_MS = 30_000

P = ParamSpec("P")
T = TypeVar("T")


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in (
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        f"PRAGMA mmap_size={MMAP_BYTES}",
        "PRAGMA query_only=ON",
    ):
        cursor.execute(pragma)
    cursor.close()


class SqliteReader:
    """A small pool of read-only connections, each used by one worker thread at a time."""

    def __init__(self, url: URL, *, threads: int = READ_THREADS) -> None:
        self._engine = sa.create_engine(
            url.set(drivername="sqlite+pysqlite"),
            pool_size=threads,
            max_overflow=0,
            connect_args={"check_same_thread": False},
        )
        sa.event.listen(self._engine, "connect", _on_connect)
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="papers-bot-sqlite-read")

    async def run(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        call = functools.partial(self._call, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _call(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with self._engine.connect() as conn:
            return fn(conn, *args, **kwargs)

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        self._executor.shutdown(wait=True)
        self._engine.dispose()


class PostgresReader:
    def __init__(self, url: URL, server_settings: dict[str, str]) -> None:
        settings = {**server_settings, **PG_SEARCH_SETTINGS}
        # Autocommit: a read of a few statements gains nothing from BEGIN and COMMIT, which
        # cost two round trips. No pre-ping either (another round trip per search): a
        # connection the server dropped fails fast and the read is retried once, below.
        self._engine: AsyncEngine = create_async_engine(
            url,
            pool_size=PG_READ_POOL,
            isolation_level="AUTOCOMMIT",
            connect_args={"server_settings": settings},
        )

    async def run(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        try:
            return await self._once(fn, *args, **kwargs)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            # The server restarted or dropped idle connections: SQLAlchemy has discarded
            # every pooled connection older than this failure, so the retry gets a new one.
            return await self._once(fn, *args, **kwargs)

    async def _once(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        async with self._engine.connect() as conn:
            return await conn.run_sync(fn, *args, **kwargs)

    async def close(self) -> None:
        await self._engine.dispose()


Reader = SqliteReader | PostgresReader
