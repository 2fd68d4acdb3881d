"""Store fixtures: every store test runs on SQLite and on the real PostgreSQL server.

PostgreSQL tests live in a schema of their own, made and migrated once per session and
dropped at the end, so repeated and parallel runs never see each other's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from bot.store import Store, open_store
from bot.store.engine import Database
from bot.store.migrate import upgrade
from bot.store.schema import metadata
from tests.conftest import skip_or_fail

PG_URL_ENV = "PAPERS_BOT_TEST_PG"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def pg_url() -> str:
    return os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)


@dataclass(frozen=True)
class Backend:
    """How to reach one test database: a URL plus, for PostgreSQL, the schema to use."""

    name: str
    url: str
    search_path: str | None = None


@contextlib.asynccontextmanager
async def scratch_schema(prefix: str) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    """An empty schema for one test and an admin connection, both gone afterwards. Skips
    (fails in CI) without PostgreSQL."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(pg_url().replace("postgresql://", "postgres://"), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        skip_or_fail(f"PostgreSQL not reachable at {pg_url()}: {exc}")
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        yield admin, schema
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


async def _pg_prepare(schema: str) -> None:
    conn = await asyncpg.connect(pg_url().replace("postgresql://", "postgres://"), timeout=3)
    try:
        # In public, so every test schema (and a dropped one) leaves it working; a parallel
        # run may create it at the same moment.
        with contextlib.suppress(asyncpg.UniqueViolationError):
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    db = await Database.open(pg_url(), search_path=f'"{schema}", public')
    try:
        await upgrade(db)
    finally:
        await db.close()


async def _pg_drop(schema: str) -> None:
    conn = await asyncpg.connect(pg_url().replace("postgresql://", "postgres://"), timeout=3)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_backend() -> Iterator[Backend]:
    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_prepare(schema))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        skip_or_fail(f"PostgreSQL not reachable at {pg_url()}: {exc}")
    try:
        yield Backend("postgres", pg_url(), f'"{schema}", public')
    finally:
        asyncio.run(_pg_drop(schema))


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", f"sqlite:///{tmp_path / 'store.db'}")
    pg: Backend = request.getfixturevalue("pg_backend")
    return pg


async def _empty_tables(store: Store) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    async with store.db.write() as conn:
        await conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    async with open_store(backend.url, search_path=backend.search_path) as opened:
        if backend.name == "postgres":
            await _empty_tables(opened)
        yield opened
