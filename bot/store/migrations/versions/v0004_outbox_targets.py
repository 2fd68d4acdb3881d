"""Outbox rows name their channel; platforms are only Discord and Slack.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

A post no longer needs a subscription: `/digest` in a channel without one, and `post` to a
channel, go through the outbox like scheduled posts. Each row carries its channel
(platform, workspace, channel), a channel's posts are kept in order and made once per
(channel, kind, item); `subscription_id` stays for posts that belong to one (alerts and
/subscription read it) and is NULL otherwise.

Webhook subscriptions were stored under the platforms "discord-webhook" and "slack-webhook";
the webhook is now told by its reserved workspace ("webhook"), so they become "discord" and
"slack". On SQLite the deliveries table is rebuilt (copy and rename); nothing references
it, so no foreign key cascades.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TARGET = ("platform", "workspace_id", "channel_id")


def upgrade() -> None:
    for old, new in (("discord-webhook", "discord"), ("slack-webhook", "slack")):
        op.execute(
            sa.text("UPDATE subscriptions SET platform = :new WHERE platform = :old").bindparams(
                new=new, old=old
            )
        )
    for column in _TARGET:
        op.add_column("deliveries", sa.Column(column, sa.Text, nullable=True))
    for column in _TARGET:
        op.execute(
            f"UPDATE deliveries SET {column} = (SELECT s.{column} FROM subscriptions s "
            "WHERE s.id = deliveries.subscription_id)"
        )
    with op.batch_alter_table("deliveries") as batch:
        for column in _TARGET:
            batch.alter_column(column, existing_type=sa.Text, nullable=False)
        batch.alter_column("subscription_id", existing_type=sa.BigInteger, nullable=True)
        batch.drop_constraint("uq_deliveries_subscription_id_kind_item_key", type_="unique")
        batch.create_unique_constraint(
            "uq_deliveries_platform_workspace_id_channel_id_kind_item_key",
            [*_TARGET, "kind", "item_key"],
        )
        batch.create_index("ix_deliveries_subscription_id", ["subscription_id"])
        # Planning a post time asks which channels got a day, or a post since the time.
        batch.create_index("ix_deliveries_item_key", ["item_key"])
        batch.create_index("ix_deliveries_created_at", ["created_at"])


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE subscription_id IS NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_created_at")
        batch.drop_index("ix_deliveries_item_key")
        batch.drop_index("ix_deliveries_subscription_id")
        batch.drop_constraint(
            "uq_deliveries_platform_workspace_id_channel_id_kind_item_key", type_="unique"
        )
        batch.create_unique_constraint(
            "uq_deliveries_subscription_id_kind_item_key", ["subscription_id", "kind", "item_key"]
        )
        batch.alter_column("subscription_id", existing_type=sa.BigInteger, nullable=False)
        for column in _TARGET:
            batch.drop_column(column)
    op.execute(
        "UPDATE subscriptions SET platform = platform || '-webhook' WHERE workspace_id = 'webhook'"
    )
