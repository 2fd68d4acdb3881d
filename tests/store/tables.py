"""Every row of every table, comparable across runs: what "the same rows" means in tests;
and the vote history of one paper, which only tests read back."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.store import Store
from bot.store.schema import metadata, paper_votes


async def dump_tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with store.db.read() as conn:
        for table in metadata.sorted_tables:
            rows = (await conn.execute(sa.select(table))).all()
            tables[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return tables


async def vote_history(store: Store, paper_id: int) -> list[int]:
    """The votes recorded for one paper, oldest first."""
    query = (
        sa.select(paper_votes.c.votes)
        .where(paper_votes.c.paper_id == paper_id)
        .order_by(paper_votes.c.observed_at, paper_votes.c.id)
    )
    async with store.db.read() as conn:
        return list((await conn.scalars(query)).all())
