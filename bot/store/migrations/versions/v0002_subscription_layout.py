"""Each subscription keeps its own Slack layout and empty-day policy.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Existing rows get the values every channel had before (channel layout, skip empty days)
through the server defaults. Both backends add and drop the columns in place: a batch
(copy-and-rename) table rebuild on SQLite would drop `subscriptions`, and with foreign keys
on that cascades into the outbox. Dropping a column in place needs SQLite 3.35 or newer.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "subscriptions",
        sa.Column("layout", sa.Text, nullable=False, server_default="channel"),
    )
    op.add_column(
        "subscriptions",
        sa.Column("no_papers", sa.Text, nullable=False, server_default="skip"),
    )


def downgrade() -> None:
    op.drop_column("subscriptions", "no_papers")
    op.drop_column("subscriptions", "layout")
