"""Fixtures for the delivery tests: the platform fakes on random 127.0.0.1 ports, and the
database each test runs on (SQLite, and the real PostgreSQL server)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import skip_or_fail
from tests.delivery.databases import create_database, drop_database, empty_tables, server_url


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throw-away PostgreSQL database for the session (its URL)."""
    try:
        url = asyncio.run(create_database())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        skip_or_fail(f"PostgreSQL not reachable at {server_url()}: {exc}")
    try:
        yield url
    finally:
        asyncio.run(drop_database(url))


@pytest.fixture
def postgres_url(pg_database: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    asyncio.run(empty_tables(pg_database))
    return pg_database


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the test's store lives: every in-process delivery test runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
