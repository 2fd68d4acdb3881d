"""Engine set-up for both backends, and the transaction helpers every query goes through.

SQLite is one writer at a time across processes: write transactions start with BEGIN IMMEDIATE
so two processes never both read-then-upgrade and die with "database is locked", and writes
from one process queue on an asyncio lock instead of spinning in SQLite's busy handler.
PostgreSQL needs neither: row locks and unique indexes arbitrate there.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.store.errors import (
    DatabaseUrlError,
    SqliteFeatureError,
    StoreError,
    describe_database_error,
)
from bot.store.reader import PostgresReader, Reader, SqliteReader

SQLITE_BUSY_TIMEOUT_MS = 30_000
# FTS5's trigram tokenizer arrived in SQLite 3.34.0.
SQLITE_MIN_TRIGRAM = (3, 34, 0)
_WRITE_OPTION = "papers_bot_write"

P = ParamSpec("P")
T = TypeVar("T")

_ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
}


# The first name of a search_path: "quoted" (a doubled quote inside stands for one) or bare.
_FIRST_NAME = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([^,\s]*))')


class Backend(StrEnum):
    SQLITE = "sqlite"
    POSTGRES = "postgresql"


def async_url(url: str | URL) -> URL:
    """Accept the URLs operators write (`postgresql://`, `sqlite:///`) and pick async drivers."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"DATABASE_URL is not a database URL: {_redact(url)}") from None
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise DatabaseUrlError(
            f"DATABASE_URL: unsupported database {parsed.drivername!r}; "
            "use sqlite:///PATH or postgresql://..."
        )
    parsed = parsed.set(drivername=driver)
    if driver.startswith("postgresql") and importlib.util.find_spec("asyncpg") is None:
        raise DatabaseUrlError(
            "DATABASE_URL names PostgreSQL but its driver is not installed: "
            "pip install 'papers-bot[postgres]'"
        )
    if driver.startswith("postgresql") and "sslmode" in parsed.query:
        # asyncpg spells libpq's sslmode as `ssl`.
        query = dict(parsed.query)
        query["ssl"] = query.pop("sslmode")
        parsed = parsed.set(query=query)
    return parsed


def split_search_path(url: URL) -> tuple[URL, str | None]:
    """`postgresql://.../db?search_path=papers_bot,public` keeps the bot's tables in a schema
    of their own on a shared server. asyncpg has no such connect argument, so it is taken out
    of the URL here and sent as a session setting."""
    if "search_path" not in url.query:
        return url, None
    search_path = url.query["search_path"]
    value = search_path if isinstance(search_path, str) else ",".join(search_path)
    return url.difference_update_query(["search_path"]), value


def first_schema(search_path: str) -> str | None:
    """The schema a search_path creates tables in: its first name, unquoted (`"My Schema"`
    keeps its case, a bare name folds to lower case as PostgreSQL folds it), or None for an
    empty path or `$user`, which PostgreSQL skips when no such schema exists."""
    match = _FIRST_NAME.match(search_path)
    quoted, bare = match.groups() if match else (None, None)
    name = quoted.replace('""', '"') if quoted is not None else (bare or "").lower()
    return None if name in ("", "$user") else name


def _redact(url: str | URL) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable>"


def backend_of(engine: AsyncEngine) -> Backend:
    return Backend.SQLITE if engine.dialect.name == "sqlite" else Backend.POSTGRES


def check_sqlite_features() -> None:
    if sqlite3.sqlite_version_info < SQLITE_MIN_TRIGRAM:
        raise SqliteFeatureError(
            f"SQLite {sqlite3.sqlite_version} is too old for archive search (needs FTS5 trigram, "
            "3.34+); upgrade SQLite or use PostgreSQL"
        )


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Driver-level autocommit: SQLAlchemy's "begin" hook below emits BEGIN itself, so
    # write transactions can say IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
    ):
        cursor.execute(pragma)
    cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _server_settings(search_path: str | None) -> dict[str, str]:
    # Search patterns are bound parameters; generic plans would not see them and could skip
    # the trigram indexes, so always plan with the actual values.
    settings = {"plan_cache_mode": "force_custom_plan"}
    if search_path:
        settings["search_path"] = search_path
    return settings


async def create_engine(
    database_url: str | URL, *, echo: bool = False, search_path: str | None = None
) -> AsyncEngine:
    """`search_path` (PostgreSQL only) lets tests and shared servers keep to their own schema."""
    url = async_url(database_url)
    # JSON text as written, not \uXXXX escapes: Korean summaries take half the bytes (a
    # 100,000-paper archive's summaries 377 -> 143 MB on SQLite). Imports write the same text
    # (bot.store.batch); escaped rows from before read back the same.
    serializer = functools.partial(json.dumps, ensure_ascii=False)
    if url.drivername.startswith("sqlite"):
        check_sqlite_features()
        if url.database and url.database != ":memory:":
            await asyncio.to_thread(Path(url.database).parent.mkdir, parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, json_serializer=serializer)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {"server_settings": _server_settings(search_path)}
    return create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        connect_args=connect_args,
        json_serializer=serializer,
    )


async def _connect_once(engine: AsyncEngine) -> None:
    """A server that is down, a database that does not exist or a SQLite file that cannot be
    created fails here, when the store opens, rather than in whichever query comes first."""
    try:
        async with engine.connect():
            pass
    except BaseException:
        await engine.dispose()
        raise


class Database:
    """An engine plus the one rule about how writes begin on each backend."""

    def __init__(self, engine: AsyncEngine, reader: Reader | None = None) -> None:
        self.engine = engine
        self.backend = backend_of(engine)
        self._write_lock = asyncio.Lock() if self.backend is Backend.SQLITE else None
        self._reader = reader

    @classmethod
    async def open(
        cls, database_url: str, *, echo: bool = False, search_path: str | None = None
    ) -> Database:
        url, in_url = split_search_path(async_url(database_url))
        search_path = search_path or in_url
        try:
            engine = await create_engine(url, echo=echo, search_path=search_path)
            await _connect_once(engine)
        except (OSError, DBAPIError) as exc:
            reason = describe_database_error(exc)
            raise StoreError(
                f"cannot open the database {_redact(database_url)}: {reason}"
            ) from None
        reader: Reader | None = None
        if backend_of(engine) is Backend.POSTGRES:
            reader = PostgresReader(engine.url, _server_settings(search_path))
        elif engine.url.database not in (None, "", ":memory:"):
            reader = SqliteReader(engine.url)
        return cls(engine, reader)

    @property
    def sqlite_file(self) -> Path | None:
        """The database file of a SQLite store (None for PostgreSQL and in-memory SQLite)."""
        name = self.engine.url.database
        if self.backend is not Backend.SQLITE or name in (None, "", ":memory:"):
            return None
        return Path(name)

    def insert(self, table: Table) -> sqlite.Insert | postgresql.Insert:
        """An INSERT that knows ON CONFLICT (both backends spell it the same way)."""
        if self.backend is Backend.SQLITE:
            return sqlite.insert(table)
        return postgresql.insert(table)

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
        await self.engine.dispose()

    async def run_read(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a read whose latency matters (search) in one go, on the reader's connections
        (bot.store.reader); a database without one (SQLite in memory) uses its engine."""
        if self._reader is not None:
            return await self._reader.run(fn, *args, **kwargs)
        async with self.engine.connect() as conn:
            return await conn.run_sync(fn, *args, **kwargs)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction that may write; commits on success, rolls back on error."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.connect() as raw:
            conn = await raw.execution_options(**{_WRITE_OPTION: True})
            async with conn.begin():
                yield conn
