"""Every row of every table, comparable across runs: what "the same rows" means in tests;
the same by natural keys, for two ways of saving the same digests; and the vote history of
one paper, which only tests read back."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.store import Store
from bot.store.schema import digest_papers, digests, metadata, paper_summaries, paper_votes, papers


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


async def semantic_tables(store: Store) -> dict[str, Any]:
    """Table contents by natural keys: ids, and timestamps of when a row was written, differ
    between two ways of saving the same digests."""
    async with store.db.read() as conn:
        keys = dict((await conn.execute(sa.select(papers.c.id, papers.c.key))).all())
        skip = {"id", "created_at", "updated_at"}
        paper_rows = {
            row["key"]: {k: repr(v) for k, v in row.items() if k not in skip}
            for row in (await conn.execute(sa.select(papers))).mappings()
        }
        summaries = {
            (keys[r.paper_id], r.source, r.language): (r.bullets, r.abstract)
            for r in (await conn.execute(sa.select(paper_summaries))).all()
        }
        history: dict[str, list[int]] = {}
        votes = sa.select(paper_votes).order_by(paper_votes.c.observed_at, paper_votes.c.id)
        for r in (await conn.execute(votes)).all():
            history.setdefault(keys[r.paper_id], []).append(r.votes)
        days = {
            r.id: (r.source, r.date, r.language, r.origin, r.etag, r.content_hash)
            for r in (await conn.execute(sa.select(digests))).all()
        }
        order = {
            (*days[r.digest_id][:2], r.position): (keys[r.paper_id], r.votes)
            for r in (await conn.execute(sa.select(digest_papers))).all()
        }
    return {
        "papers": paper_rows,
        "summaries": summaries,
        "votes": history,
        "digests": sorted(days.values()),
        "order": order,
    }


async def wipe(store: Store) -> None:
    async with store.db.write() as conn:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(table.delete())
