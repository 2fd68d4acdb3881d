"""After a bulk import: fold index fragments together and refresh planner statistics, so the
first searches after an import are as fast as later ones."""

from __future__ import annotations

import sqlalchemy as sa

from bot.store.engine import Backend, Database

_SQLITE_FTS = ("paper_names", "paper_words")
_PG_GIN = ("ix_papers_names_trgm", "ix_papers_words")
# The tables an import writes. A bare ANALYZE on PostgreSQL samples every table of the
# database, other schemas and applications included (3.5 s of a 100,000-paper import on a
# shared server).
_IMPORTED = ("papers", "paper_summaries", "paper_votes", "digests", "digest_papers")


async def optimize(db: Database) -> None:
    async with db.write() as conn:
        if db.backend is Backend.SQLITE:
            for table in _SQLITE_FTS:
                await conn.execute(sa.text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))
            await conn.execute(sa.text("ANALYZE"))
            return
        for index in _PG_GIN:
            await conn.execute(
                sa.text("SELECT gin_clean_pending_list(CAST(:i AS regclass))"), {"i": index}
            )
        await conn.execute(sa.text(f"ANALYZE {', '.join(_IMPORTED)}"))
