"""Initial schema: papers with summaries and vote history, digests, subscriptions, outbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Tables are spelled out here rather than taken from schema.py so this revision stays what it
was when later revisions change the schema. Search indexes differ by backend.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.schema import Id, UtcDateTime, Words

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_NAME_COLUMNS = "title, search_authors"
_WORD_COLUMNS = "title, search_authors, search_body"


def _id() -> sa.Column[int]:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


def _fk(
    name: str, target: str, *, primary_key: bool = False, index: bool | None = None
) -> sa.Column[int]:
    return sa.Column(
        name,
        Id,
        sa.ForeignKey(f"{target}.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
        index=index,
    )


def upgrade() -> None:
    op.create_table(
        "papers",
        _id(),
        sa.Column("key", sa.Text, nullable=False, unique=True),
        sa.Column("arxiv_id", sa.Text, nullable=True, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_norm", sa.Text, nullable=False, index=True),
        sa.Column("url", sa.Text, nullable=False, index=True),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("authors_truncated", sa.Boolean, nullable=False),
        sa.Column("search_title", sa.Text, nullable=False),
        sa.Column("search_authors", sa.Text, nullable=False),
        sa.Column("search_body", sa.Text, nullable=False),
        sa.Column("search_words", Words, nullable=True),
        sa.Column("media_kind", sa.Text, nullable=True),
        sa.Column("media_url", sa.Text, nullable=True),
        sa.Column("github_url", sa.Text, nullable=True),
        sa.Column("project_url", sa.Text, nullable=True),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("first_seen", sa.Date, nullable=False, index=True),
        sa.Column("last_seen", sa.Date, nullable=False),
        sa.Column("votes", sa.Integer, nullable=True, index=True),
        sa.Column("votes_date", sa.Date, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "paper_summaries",
        _fk("paper_id", "papers", primary_key=True),
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("language", sa.Text, primary_key=True),
        sa.Column("bullets", sa.JSON, nullable=False),
        sa.Column("abstract", sa.Text, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "paper_votes",
        _id(),
        _fk("paper_id", "papers"),
        sa.Column("observed_at", UtcDateTime, nullable=False),
        sa.Column("votes", sa.Integer, nullable=False),
        sa.Index(None, "paper_id", "observed_at"),
    )
    op.create_table(
        "digests",
        _id(),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("origin", sa.Text, nullable=True),
        sa.Column("etag", sa.Text, nullable=True),
        sa.Column("last_modified", sa.Text, nullable=True),
        sa.Column("fetched_at", UtcDateTime, nullable=False),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.UniqueConstraint("source", "date"),
    )
    op.create_table(
        "digest_papers",
        _fk("digest_id", "digests", primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        _fk("paper_id", "papers", index=True),
        sa.Column("votes", sa.Integer, nullable=True),
    )
    op.create_table(
        "subscriptions",
        _id(),
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("channel_id", sa.Text, nullable=False),
        sa.Column("min_votes", sa.Integer, nullable=False),
        sa.Column("top_n", sa.Integer, nullable=False),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("language", sa.Text, nullable=True),
        sa.Column("post_time", sa.Text, nullable=False),
        sa.Column("timezone", sa.Text, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("paused_reason", sa.Text, nullable=True),
        sa.Column("created_by", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("platform", "workspace_id", "channel_id"),
    )
    op.create_table(
        "deliveries",
        _id(),
        _fk("subscription_id", "subscriptions"),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("item_key", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("lease_until", UtcDateTime, nullable=True),
        sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
        sa.Column("platform_message_id", sa.Text, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=True),
        sa.UniqueConstraint("subscription_id", "kind", "item_key"),
        sa.Index(None, "state", "next_attempt_at"),
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_search()
    else:
        _postgres_search()


# FTS5 builds segments in memory up to this size before writing them: the default (1 MB)
# makes a bulk import flush and merge many small segments, several times slower.
_FTS_HASHSIZE = 16 * 1024 * 1024


def _sqlite_search() -> None:
    """Two FTS5 indexes over the papers table, kept in step by triggers.

    `paper_names` (trigram) finds any substring of 3+ characters in titles and authors;
    `paper_words` (unicode61) finds word prefixes and phrases in titles, authors and summaries.
    Summaries get only the word index because trigram indexing of long text is several times
    slower and would cap imports well below 5,000 papers/s. The word index keeps prefix
    indexes of 2 and 3 characters: without them FTS5 answers "be*" by merging the posting
    lists of every word starting so, hundreds of milliseconds on a large archive.
    """
    for table, columns, options in (
        ("paper_names", _NAME_COLUMNS, "tokenize='trigram'"),
        ("paper_words", _WORD_COLUMNS, "tokenize='unicode61 remove_diacritics 2', prefix='2 3'"),
    ):
        op.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5({columns}, "
            f"content='papers', content_rowid='id', {options})"
        )
        op.execute(f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', {_FTS_HASHSIZE})")
    inserts = deletes = ""
    for table, columns in (("paper_names", _NAME_COLUMNS), ("paper_words", _WORD_COLUMNS)):
        names = [c.strip() for c in columns.split(",")]
        new = ", ".join(f"new.{c}" for c in names)
        old = ", ".join(f"old.{c}" for c in names)
        inserts += f"INSERT INTO {table}(rowid, {columns}) VALUES (new.id, {new}); "
        deletes += (
            f"INSERT INTO {table}({table}, rowid, {columns}) VALUES ('delete', old.id, {old}); "
        )
    op.execute(f"CREATE TRIGGER papers_search_ai AFTER INSERT ON papers BEGIN {inserts}END")
    op.execute(f"CREATE TRIGGER papers_search_ad AFTER DELETE ON papers BEGIN {deletes}END")
    op.execute(
        f"CREATE TRIGGER papers_search_au AFTER UPDATE OF {_WORD_COLUMNS} ON papers "
        f"BEGIN {deletes}{inserts}END"
    )


def _postgres_search() -> None:
    """The same two indexes in PostgreSQL terms: pg_trgm over titles and authors (the
    expression must match bot.store.search exactly), and a GIN index over the stored
    `search_words` tsvector."""
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX ix_papers_names_trgm ON papers USING gin "
        "((search_title || ' ' || search_authors) gin_trgm_ops)"
    )
    op.execute("CREATE INDEX ix_papers_words ON papers USING gin (search_words)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("papers_search_ai", "papers_search_ad", "papers_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS paper_names")
        op.execute("DROP TABLE IF EXISTS paper_words")
    for table in (
        "deliveries",
        "subscriptions",
        "digest_papers",
        "digests",
        "paper_votes",
        "paper_summaries",
        "papers",
    ):
        op.drop_table(table)
