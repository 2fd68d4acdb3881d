"""DATABASE_URL can name the PostgreSQL schema the bot keeps its tables in."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from bot.store import open_store
from bot.store.engine import split_search_path
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
