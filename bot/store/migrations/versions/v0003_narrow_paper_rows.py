"""PostgreSQL: keep the summaries' search text out of the `papers` rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Search reads titles and authors of a few hundred candidate rows per query. With the summary
text and its word vector inline (compressed, about 1.5 KB a row), 100,000 papers made a
176 MB heap that did not fit PostgreSQL's default 128 MB shared_buffers, and a query paid
several milliseconds for pages from the OS cache. Stored out of line and uncompressed
(EXTERNAL: no compression work on import, no decompression when a phrase is checked), the
heap is 65 MB for the same archive.

Rows written before this migration keep their old layout until rewritten; on a large
archive, `VACUUM FULL papers` once (it locks the table while it runs) brings them over.
SQLite has no such setting; nothing changes there.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Rows above this many bytes move their largest values out of line (the default is ~2 KB,
# which a paper with a summary only just exceeds, so the summary stayed inline).
TOAST_TUPLE_TARGET = 1024


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE papers ALTER COLUMN search_body SET STORAGE EXTERNAL, "
        "ALTER COLUMN search_words SET STORAGE EXTERNAL"
    )
    op.execute(f"ALTER TABLE papers SET (toast_tuple_target = {TOAST_TUPLE_TARGET})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE papers RESET (toast_tuple_target)")
    op.execute(
        "ALTER TABLE papers ALTER COLUMN search_body SET STORAGE EXTENDED, "
        "ALTER COLUMN search_words SET STORAGE EXTENDED"
    )
