"""Discord gateway shards shared by several instances: leases, live instances, identifies.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

`gateway_shards` has one row per shard of the fleet's shard count; a shard is served by the
instance named in `owner` until `lease_until`, and `fence` counts the times it changed hands.
`bot_instances` lists the instances alive lately, so each can take its fair share of shards.
`gateway_identify` keeps, per identify bucket (shard id modulo Discord's max_concurrency),
when a session last identified: Discord allows one identify per bucket every 5 seconds
across every process of the bot.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_shards",
        sa.Column("shard_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("owner", sa.Text, nullable=True),
        sa.Column("lease_until", UtcDateTime, nullable=True),
        sa.Column("fence", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "bot_instances",
        sa.Column("instance_id", sa.Text, primary_key=True),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("seen_until", UtcDateTime, nullable=False),
    )
    op.create_table(
        "gateway_identify",
        sa.Column("bucket", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gateway_identify")
    op.drop_table("bot_instances")
    op.drop_table("gateway_shards")
