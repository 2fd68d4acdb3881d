"""The tables, as SQLAlchemy Core metadata shared by queries and the migration check.

Migrations under `migrations/versions` create these explicitly (history must not move when this
file does); a test compares the migrated database against this metadata so they cannot drift.
Search indexes are backend-specific and live only in the migration: FTS5 tables and triggers on
SQLite, pg_trgm and tsvector GIN indexes on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from bot.models import ChannelRef

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

# SQLite only makes INTEGER PRIMARY KEY the rowid alias (which FTS5 external content needs).
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# PostgreSQL's word index is a stored tsvector, parsed once on write, so neither an index
# recheck nor a scan re-parses text. SQLite indexes words with FTS5 and leaves this NULL.
Words = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in and out, whatever the backend stores."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


papers = sa.Table(
    "papers",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
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
    # The Hugging Face accounts the paper is listed under (migration 0008): followed by
    # channels (`/follow org:`), matched in Python by the composer, so not indexed.
    sa.Column("org_handle", sa.Text, nullable=True),
    sa.Column("org_name", sa.Text, nullable=True),
    sa.Column("submitter_handle", sa.Text, nullable=True),
    sa.Column("submitter_name", sa.Text, nullable=True),
    sa.Column("keywords", sa.JSON, nullable=False),
    sa.Column("first_seen", sa.Date, nullable=False, index=True),
    sa.Column("last_seen", sa.Date, nullable=False),
    sa.Column("votes", sa.Integer, nullable=True, index=True),
    sa.Column("votes_date", sa.Date, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

paper_summaries = sa.Table(
    "paper_summaries",
    metadata,
    sa.Column("paper_id", Id, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("language", sa.Text, primary_key=True),
    sa.Column("bullets", sa.JSON, nullable=False),
    sa.Column("abstract", sa.Text, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

paper_votes = sa.Table(
    "paper_votes",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("paper_id", Id, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("observed_at", UtcDateTime, nullable=False),
    sa.Column("votes", sa.Integer, nullable=False),
    sa.Index(None, "paper_id", "observed_at"),
)

digests = sa.Table(
    "digests",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
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

digest_papers = sa.Table(
    "digest_papers",
    metadata,
    sa.Column("digest_id", Id, sa.ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column(
        "paper_id",
        Id,
        sa.ForeignKey("papers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("votes", sa.Integer, nullable=True),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
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
    sa.Column("layout", sa.Text, nullable=False, server_default="channel"),
    sa.Column("no_papers", sa.Text, nullable=False, server_default="skip"),
    # Migration 0007: whether the vote counts on its posted cards are kept current.
    sa.Column("live_votes", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("channel_kind", sa.Text, nullable=False, server_default="text"),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("paused_reason", sa.Text, nullable=True),
    sa.Column("created_by", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("platform", "workspace_id", "channel_id"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column(
        "subscription_id",
        Id,
        sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("workspace_id", sa.Text, nullable=False),
    sa.Column("channel_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("item_key", sa.Text, nullable=False, index=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("lease_until", UtcDateTime, nullable=True),
    sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
    sa.Column("platform_message_id", sa.Text, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # Indexed in migration 0007: live cards look for the posts sent lately.
    sa.Column("sent_at", UtcDateTime, nullable=True, index=True),
    sa.UniqueConstraint("platform", "workspace_id", "channel_id", "kind", "item_key"),
    sa.Index(None, "state", "next_attempt_at"),
    # The open rows in claim order (migration 0006).
    sa.Index(
        "ix_deliveries_open",
        "next_attempt_at",
        "id",
        postgresql_where=sa.text("state IN ('pending', 'failed', 'in-flight')"),
        sqlite_where=sa.text("state IN ('pending', 'failed', 'in-flight')"),
    ),
)

follows = sa.Table(
    "follows",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column(
        "subscription_id",
        Id,
        sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_key", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # Also the index of a subscription's follows (its leading column).
    sa.UniqueConstraint("subscription_id", "kind", "name_key"),
)

LIVE_CARDS = "state = 'live'"
PENDING_CARDS = "state = 'live' AND wanted_version > applied_version"

# One row per posted message of a digest whose vote counts are kept current (migration
# 0007): the message's platform id (and the message whose thread holds it, for one posted
# into a thread, as a Discord forum post's cards are), the content it should show
# (`wanted`, the newest version planned) and the version it is known to show (`applied`),
# so an edit repeated after a crash changes nothing and an older one never follows a newer
# one.
live_cards = sa.Table(
    "live_cards",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column(
        "delivery_id", Id, sa.ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("message_id", sa.Text, nullable=False),
    sa.Column("thread_id", sa.Text, nullable=True),
    sa.Column("shape", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("live_until", UtcDateTime, nullable=False),
    sa.Column("wanted_version", sa.Integer, nullable=False),
    sa.Column("wanted_hash", sa.Text, nullable=True),
    sa.Column("wanted", sa.JSON, nullable=True),
    sa.Column("applied_version", sa.Integer, nullable=False),
    sa.Column("applied_hash", sa.Text, nullable=False),
    sa.Column("next_edit_at", UtcDateTime, nullable=False),
    sa.Column("claims", sa.Integer, nullable=False),
    sa.Column("lease_until", UtcDateTime, nullable=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("edited_at", UtcDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("delivery_id", "position"),
    # The edits waiting, in claim order; and the cards still live, by the end of their
    # window (the table keeps every message ever posted, these only the few in play).
    sa.Index(
        "ix_live_cards_pending",
        "next_edit_at",
        "id",
        postgresql_where=sa.text(PENDING_CARDS),
        sqlite_where=sa.text(PENDING_CARDS),
    ),
    sa.Index(
        "ix_live_cards_live_until",
        "live_until",
        postgresql_where=sa.text(LIVE_CARDS),
        sqlite_where=sa.text(LIVE_CARDS),
    ),
)


gateway_shards = sa.Table(
    "gateway_shards",
    metadata,
    sa.Column("shard_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("owner", sa.Text, nullable=True),
    sa.Column("lease_until", UtcDateTime, nullable=True),
    sa.Column("fence", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

bot_instances = sa.Table(
    "bot_instances",
    metadata,
    sa.Column("instance_id", sa.Text, primary_key=True),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("seen_until", UtcDateTime, nullable=False),
)

gateway_identify = sa.Table(
    "gateway_identify",
    metadata,
    sa.Column("bucket", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_at", UtcDateTime, nullable=False),
)


def on_channel(table: sa.Table, channel: ChannelRef) -> sa.ColumnElement[bool]:
    """The rows of `table` (subscriptions, deliveries) that belong to one channel."""
    return sa.and_(
        table.c.platform == channel.platform.value,
        table.c.workspace_id == channel.workspace_id,
        table.c.channel_id == channel.channel_id,
    )
