"""A subscription's own Slack layout and empty-day policy: stored, read back, and given to
rows that existed before revision 0002 added them; outbox rows and webhook subscriptions
carried over by revision 0004 (both backends)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from bot.models import ChannelKind, ChannelRef, Platform
from bot.store import Store
from bot.store.engine import Database
from bot.store.migrate import alembic_config, current_revision, head_revision, upgrade
from bot.store.rows import SubscriptionSettings
from bot.store.schema import deliveries, metadata, subscriptions
from bot.store.subscriptions import SubscriptionRepo
from tests.store.conftest import pg_url, scratch_schema

T0 = dt.datetime(2024, 5, 6, 9, 0, tzinfo=dt.UTC)
CHANNEL = ChannelRef(Platform.SLACK, "T01", "C01")


async def test_layout_and_empty_day_policy_round_trip(store: Store) -> None:
    created = await store.subscriptions.save(
        CHANNEL, SubscriptionSettings(layout="thread", no_papers="note"), actor="u1", now=T0
    )
    assert (created.settings.layout, created.settings.no_papers) == ("thread", "note")
    read = await store.subscriptions.get(CHANNEL)
    assert read is not None
    assert read.settings == created.settings

    changed = await store.subscriptions.save(
        CHANNEL, SubscriptionSettings(layout="channel", no_papers="skip"), actor="u2", now=T0
    )
    assert changed.id == created.id
    [listed] = await store.subscriptions.list()
    assert (listed.settings.layout, listed.settings.no_papers) == ("channel", "skip")


async def test_the_channel_kind_round_trips_and_an_unknown_one_reads_as_text(store: Store) -> None:
    forum = ChannelRef(Platform.DISCORD, "1", "2")
    saved = await store.subscriptions.save(
        forum, SubscriptionSettings(channel_kind=ChannelKind.FORUM), now=T0
    )
    assert saved.settings.channel_kind is ChannelKind.FORUM
    async with store.db.write() as conn:  # a row a newer version wrote
        await conn.execute(subscriptions.update().values(channel_kind="stage"))
    found = await store.subscriptions.get(forum)
    assert found is not None
    assert found.settings.channel_kind is ChannelKind.TEXT


@contextlib.asynccontextmanager
async def _empty_database(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A database with no tables at all, so a test can migrate it step by step."""
    if kind == "sqlite":
        db = await Database.open(f"sqlite:///{tmp_path / 'migrate.db'}")
        try:
            yield db
        finally:
            await db.close()
        return
    async with scratch_schema("test_migrate") as (_, schema):
        db = await Database.open(pg_url(), search_path=f'"{schema}", public')
        try:
            yield db
        finally:
            await db.close()


def _downgrade_to_0001(connection: Connection) -> None:
    command.downgrade(alembic_config(connection), "0001")


def _subscription_drift(connection: Connection) -> list[object]:
    """What autogenerate would still change in `subscriptions`: the migrations and schema.py
    must describe the same columns."""
    diffs = compare_metadata(MigrationContext.configure(connection), metadata)
    return [d for d in diffs if "subscriptions" in repr(d)]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_upgrade_gives_existing_subscriptions_the_old_behaviour(
    kind: str, tmp_path: Path
) -> None:
    async with _empty_database(kind, tmp_path) as db:
        await upgrade(db, "0001")
        async with db.write() as conn:
            inserted = await conn.execute(
                subscriptions.insert()
                .values(
                    platform="slack",
                    workspace_id=CHANNEL.workspace_id,
                    channel_id=CHANNEL.channel_id,
                    min_votes=5,
                    top_n=3,
                    keywords=["agents"],
                    sources=[],
                    post_time="08:00",
                    timezone="Asia/Seoul",
                    paused=False,
                    created_at=T0,
                    updated_at=T0,
                )
                .returning(subscriptions.c.id)
            )
            sub_id = inserted.scalar_one()
            await conn.execute(
                subscriptions.insert().values(
                    platform="discord-webhook",
                    workspace_id="webhook",
                    channel_id="discord-webhook:123",
                    min_votes=0,
                    top_n=10,
                    keywords=[],
                    sources=[],
                    post_time="09:00",
                    timezone="UTC",
                    paused=False,
                    created_at=T0,
                    updated_at=T0,
                )
            )
            await conn.execute(
                deliveries.insert().values(
                    subscription_id=sub_id,
                    kind="digest",
                    item_key="2024-05-06",
                    state="sent",
                    attempts=1,
                    next_attempt_at=T0,
                    idempotency_key="k1",
                    payload={},
                    created_at=T0,
                    updated_at=T0,
                )
            )

        await upgrade(db)
        assert await current_revision(db) == head_revision() == "0009"
        hook = ChannelRef(Platform.DISCORD, "webhook", "discord-webhook:123")
        assert await SubscriptionRepo(db).get(hook) is not None
        async with db.read() as conn:
            row = (await conn.execute(sa.select(deliveries))).mappings().one()
        assert (row["platform"], row["workspace_id"], row["channel_id"]) == ("slack", "T01", "C01")
        assert row["subscription_id"] == sub_id
        found = await SubscriptionRepo(db).get(CHANNEL)
        assert found is not None
        assert (found.settings.layout, found.settings.no_papers) == ("channel", "skip")
        assert found.settings.channel_kind is ChannelKind.TEXT  # 0009: posted to as text
        assert (found.settings.top_n, found.settings.timezone) == (3, "Asia/Seoul")
        assert found.settings.live_votes is True  # live cards on for existing channels
        async with db.read() as conn:
            assert await conn.run_sync(_subscription_drift) == []

        async with db.write() as conn:
            await conn.run_sync(_downgrade_to_0001)
        assert await current_revision(db) == "0001"
        async with db.read() as conn:
            columns = await conn.run_sync(
                lambda c: {col["name"] for col in sa.inspect(c).get_columns("subscriptions")}
            )
            kept = (await conn.execute(sa.select(sa.func.count()).select_from(deliveries))).scalar()
        assert {"layout", "no_papers", "channel_kind"}.isdisjoint(columns)
        assert "timezone" in columns
        assert kept == 1  # dropping the columns took no outbox rows with it
