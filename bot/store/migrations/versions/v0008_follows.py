"""Channels follow authors and Hugging Face accounts; papers keep the accounts they list.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08

`follows` holds what each subscription follows: an author, or an organisation or submitter
on Hugging Face (`kind`), the name as it was typed and its matching key (`name_key`,
`bot.models.name_key`), one row per (subscription, kind, key). Deleting a subscription
deletes its follows. `papers` gains the organisation and the submitter the HF API lists a
paper under (handle and shown name); papers stored before stay without them until the HF
API lists them again. The columns are added in place on both backends (see 0002).

Written on a branch beside 0007 (live cards), and follows it since both were merged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.schema import Id, UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ACCOUNT_COLUMNS = ("org_handle", "org_name", "submitter_handle", "submitter_name")


def upgrade() -> None:
    for name in _ACCOUNT_COLUMNS:
        op.add_column("papers", sa.Column(name, sa.Text, nullable=True))
    op.create_table(
        "follows",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id",
            Id,
            sa.ForeignKey(
                "subscriptions.id",
                ondelete="CASCADE",
                name="fk_follows_subscription_id_subscriptions",
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_key", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_follows"),
        sa.UniqueConstraint(
            "subscription_id", "kind", "name_key", name="uq_follows_subscription_id_kind_name_key"
        ),
    )


def downgrade() -> None:
    op.drop_table("follows")
    for name in reversed(_ACCOUNT_COLUMNS):
        op.drop_column("papers", name)
