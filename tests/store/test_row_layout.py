"""PostgreSQL keeps a paper's long search text out of its row, so search's candidate reads
stay within shared buffers (migration 0003)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.store import Backend, Store
from tests.store.factories import digest, paper


async def test_long_summaries_are_stored_out_of_the_papers_row(store: Store) -> None:
    if store.backend is not Backend.POSTGRES:
        pytest.skip("a PostgreSQL storage setting")
    bullets = tuple(f"요약 문장 {n}번은 긴 한국어 설명을 담고 있습니다." * 4 for n in range(12))
    await store.writer.save(digest(paper("2405.00077", bullets=bullets)))
    async with store.db.read() as conn:
        body_bytes, toast_bytes = (
            await conn.execute(
                sa.text(
                    "SELECT (SELECT octet_length(search_body) FROM papers "
                    "        WHERE arxiv_id = '2405.00077'), "
                    "       pg_relation_size(reltoastrelid) "
                    "FROM pg_class WHERE oid = 'papers'::regclass"
                )
            )
        ).one()
    # Repetitive text that compression would have shrunk to fit inline: it sits in the
    # TOAST table, uncompressed.
    assert body_bytes > 3000
    assert toast_bytes > 0
