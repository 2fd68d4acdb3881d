"""Test databases for the delivery tests: a SQLite file per test, or a throw-away PostgreSQL
database per session on the real server.

A database of its own (not a schema) because `papers-bot run` subprocesses only take a
DATABASE_URL, and a URL cannot carry a search_path; the name is random so parallel and
repeated runs never meet. Each test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid

import asyncpg
from sqlalchemy.engine import make_url

from bot.store import open_store
from bot.store.schema import metadata

PG_URL_ENV = "PAPERS_BOT_TEST_PG"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT = 5


def server_url() -> str:
    """The maintenance connection: the configured server and its existing database."""
    return os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql://", "postgres://", 1)


def database_url(name: str) -> str:
    return make_url(server_url()).set(database=name).render_as_string(hide_password=False)


async def create_database() -> str:
    """A new, migrated database; returns its URL."""
    name = f"papers_bot_delivery_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_asyncpg_dsn(server_url()), timeout=CONNECT_TIMEOUT)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = database_url(name)
    async with open_store(url):  # migrates
        pass
    return url


async def drop_database(url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(_asyncpg_dsn(server_url()), timeout=CONNECT_TIMEOUT)
    try:
        # FORCE: a SIGKILLed bot's sessions may not have been reaped yet.
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def empty_tables(url: str) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=CONNECT_TIMEOUT)
    try:
        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
