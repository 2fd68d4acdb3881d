"""Each subscription remembers what kind of channel it posts in (text, thread, forum).

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-08

Discord forum channels take no plain messages: a digest there opens a new forum post. The
kind is what Discord said when /subscribe last ran in the channel, kept so that planning
(which renders the post once, into the outbox) knows it across restarts without asking
the platform. Existing rows were all posted to as text channels: the server default.
Added and dropped in place on both backends, as 0002 does (a batch rebuild of
`subscriptions` on SQLite would cascade into the outbox).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "subscriptions",
        sa.Column("channel_kind", sa.Text, nullable=False, server_default="text"),
    )


def downgrade() -> None:
    op.drop_column("subscriptions", "channel_kind")
