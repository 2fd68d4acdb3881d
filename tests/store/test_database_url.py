"""DATABASE_URL can name the PostgreSQL schema the bot keeps its tables in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.store import open_store
from bot.store.engine import first_schema, split_search_path
from bot.store.errors import SchemaMissingError
from bot.store.migrate import current_revision, head_revision
from tests.conftest import skip_or_fail
from tests.store.conftest import pg_url, scratch_schema
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
    async with scratch_schema("test_url") as (admin, schema):
        async with open_store(f"{pg_url()}?search_path={schema},public") as store:
            await store.writer.save(digest(paper("2405.00009", title="Schema Bound Papers")))
            [hit] = await store.searcher.search("schema bound")
            assert hit.paper.arxiv_id == "2405.00009"
        tables = await admin.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
        )
        assert {"papers", "deliveries", "alembic_version"} <= {r["table_name"] for r in tables}


@pytest.mark.parametrize(
    ("search_path", "expected"),
    [
        ("papers_bot,public", "papers_bot"),
        (" Papers_Bot , public", "papers_bot"),
        ('"Papers Bot", public', "Papers Bot"),
        ('"say ""hi""",public', 'say "hi"'),
        ('"$user", public', None),
        ("$user,public", None),
        ("", None),
    ],
)
def test_first_schema_reads_the_path_as_postgresql_does(
    search_path: str, expected: str | None
) -> None:
    assert first_schema(search_path) == expected


@pytest.fixture
async def admin() -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to the test server (skips, or fails in CI, without one)."""
    try:
        conn = await asyncpg.connect(pg_url().replace("postgresql://", "postgres://"), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        skip_or_fail(f"PostgreSQL not reachable at {pg_url()}: {exc}")
    try:
        yield conn
    finally:
        await conn.close()


async def _schemas_named(admin: asyncpg.Connection, name: str) -> int:
    return int(await admin.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = $1", name))


async def test_a_missing_schema_is_created_and_holds_the_tables(admin: asyncpg.Connection) -> None:
    schema = f"test_fresh_{uuid.uuid4().hex[:12]}"
    assert await _schemas_named(admin, schema) == 0
    try:
        async with open_store(f"{pg_url()}?search_path={schema},public") as store:
            await store.writer.save(digest(paper("2405.00010", title="Fresh Schema Papers")))
            [hit] = await store.searcher.search("fresh schema")
            assert hit.paper.arxiv_id == "2405.00010"
        tables = await admin.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
        )
        assert {"papers", "deliveries", "alembic_version"} <= {r["table_name"] for r in tables}
        in_public = await admin.fetchval(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_name = 'papers'"
        )
        assert in_public == 0
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def test_a_missing_schema_the_role_may_not_create_stops_with_the_fix(
    admin: asyncpg.Connection,
) -> None:
    role = f"test_weak_{uuid.uuid4().hex[:10]}"
    schema = f"test_denied_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        url = make_url(pg_url()).set(username=role).render_as_string(hide_password=False)
        with pytest.raises(SchemaMissingError) as info:
            async with open_store(f"{url}?search_path={schema},public"):
                pass
        assert str(info.value) == (
            f"schema '{schema}', first in the search_path, does not exist and role "
            f"'{role}' may not create it; as the database owner run: "
            f"CREATE SCHEMA {schema} AUTHORIZATION {role}"
        )
        assert await _schemas_named(admin, schema) == 0
    finally:
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')


async def test_a_migrated_schema_later_on_the_path_does_not_stand_in_for_the_first() -> None:
    """A version table in another schema of the search_path (a `public` that was migrated
    too, as by a bot run without a search_path) must not make the first one look migrated:
    the store's tables go where its URL says, every time."""
    async with (
        scratch_schema("test_other") as (admin, other),
        scratch_schema("test_first") as (_, first),
    ):
        await admin.execute(f'CREATE TABLE "{other}".alembic_version (version_num text)')
        await admin.execute(f"INSERT INTO \"{other}\".alembic_version VALUES ('{head_revision()}')")
        async with open_store(f"{pg_url()}?search_path={first},{other},public") as store:
            assert await current_revision(store.db) == head_revision()
        tables = await admin.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", first
        )
        assert {"papers", "live_cards", "alembic_version"} <= {r["table_name"] for r in tables}
