"""Live cards: the posted messages of a digest whose vote counts are kept current.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08

Every message id of a post is already kept, in order, in its outbox payload (`sent`), so
nothing is copied out of the outbox here. `live_cards` gets one row per message once the
post has been sent: its platform id, the newest content planned for it and the version it
is known to show. `subscriptions.live_votes` is the per-channel switch; existing rows get
the default (on) through the server default, added in place on both backends as 0002 did.
Indexes: the edits waiting and the cards still live (partial: the table keeps every
message ever posted), and the outbox's posts by the time they were sent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.schema import Id, UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Spelled out, not taken from schema.py: this revision stays what it was.
_LIVE = sa.text("state = 'live'")
_PENDING = sa.text("state = 'live' AND wanted_version > applied_version")


def upgrade() -> None:
    op.add_column(
        "subscriptions",
        sa.Column("live_votes", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "live_cards",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "delivery_id",
            Id,
            sa.ForeignKey("deliveries.id", ondelete="CASCADE"),
            nullable=False,
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
    )
    op.create_index(
        "ix_live_cards_pending",
        "live_cards",
        ["next_edit_at", "id"],
        postgresql_where=_PENDING,
        sqlite_where=_PENDING,
    )
    op.create_index(
        "ix_live_cards_live_until",
        "live_cards",
        ["live_until"],
        postgresql_where=_LIVE,
        sqlite_where=_LIVE,
    )
    op.create_index("ix_deliveries_sent_at", "deliveries", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_sent_at", table_name="deliveries")
    op.drop_index("ix_live_cards_live_until", table_name="live_cards")
    op.drop_index("ix_live_cards_pending", table_name="live_cards")
    op.drop_table("live_cards")
    op.drop_column("subscriptions", "live_votes")
