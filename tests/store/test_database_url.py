"""DATABASE_URL can name the PostgreSQL schema the bot keeps its tables in."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy.engine import make_url

from bot.store import open_store
from bot.store.engine import split_search_path
from tests.conftest import skip_or_fail
from tests.store.conftest import pg_url
from tests.store.factories import digest, paper


def test_search_path_is_taken_out_of_the_url() -> None:
    url, search_path = split_search_path(
        make_url(
            "postgresql+asyncpg://bot:secret@db:5432/papers?search_path=bot,public&ssl=require"
        )
    )
    assert search_path == "bot,public"
    assert url.query == {"ssl": "require"}
    assert url.password == "secret"
    assert split_search_path(make_url("postgresql://db/papers")) == (
        make_url("postgresql://db/papers"),
        None,
    )


async def test_the_store_lives_in_the_schema_the_url_names() -> None:
    schema = f"test_url_{uuid.uuid4().hex[:12]}"
    dsn = pg_url().replace("postgresql://", "postgres://")
    try:
        admin = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        skip_or_fail(f"PostgreSQL not reachable at {pg_url()}: {exc}")
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        async with open_store(f"{pg_url()}?search_path={schema},public") as store:
            await store.writer.save(digest(paper("2405.00009", title="Schema Bound Papers")))
            [hit] = await store.searcher.search("schema bound")
            assert hit.paper.arxiv_id == "2405.00009"
        tables = await admin.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
        )
        assert {"papers", "deliveries", "alembic_version"} <= {r["table_name"] for r in tables}
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()
