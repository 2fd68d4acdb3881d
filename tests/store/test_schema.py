"""The migrated database is exactly what bot/store/schema.py says, on both backends.

Queries are written against schema.py while the database is made by the migrations; this
is the test that keeps the two from drifting. The search indexes exist only in migrations
(FTS5 tables on SQLite, GIN indexes on PostgreSQL), so they are the one thing set aside.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from bot.store import Store
from bot.store.schema import metadata

# Made by the migration only, on purpose (see bot/store/schema.py).
SEARCH_INDEXES = {"ix_papers_names_trgm", "ix_papers_words"}
SEARCH_TABLES = ("paper_names", "paper_words")


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table" and name is not None:
        return name != "alembic_version" and not name.startswith(SEARCH_TABLES)
    return not (type_ == "index" and name in SEARCH_INDEXES)


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"include_object": _ours, "compare_type": True, "compare_server_default": True},
    )
    return list(compare_metadata(context, metadata))


async def test_migrations_build_exactly_the_declared_schema(store: Store) -> None:
    async with store.db.read() as conn:
        assert await conn.run_sync(_diff) == []


async def test_the_comparison_notices_a_drift(store: Store) -> None:
    # The test above can fail: a column the migrations never made is reported.
    async with store.db.write() as conn:
        await conn.exec_driver_sql("ALTER TABLE digests ADD COLUMN stray TEXT")
    try:
        async with store.db.read() as conn:
            diff = await conn.run_sync(_diff)
        assert [(d[0], d[3].name) for d in diff] == [("remove_column", "stray")]
    finally:
        async with store.db.write() as conn:
            await conn.exec_driver_sql("ALTER TABLE digests DROP COLUMN stray")
