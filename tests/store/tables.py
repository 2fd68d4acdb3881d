"""Every row of every table, comparable across runs: what "the same rows" means in tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.store import Store
from bot.store.schema import metadata


async def dump_tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with store.db.read() as conn:
        for table in metadata.sorted_tables:
            rows = (await conn.execute(sa.select(table))).all()
            tables[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return tables
