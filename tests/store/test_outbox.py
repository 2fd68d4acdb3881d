"""Subscriptions and the delivery outbox (both backends)."""

from __future__ import annotations

import datetime as dt

from bot.models import ChannelRef, Platform, SourceKind
from bot.store import Store
from bot.store.rows import DeliveryKind, DeliveryState, PlannedDelivery, SubscriptionSettings

T0 = dt.datetime(2024, 5, 6, 9, 0, tzinfo=dt.UTC)
CHANNEL = ChannelRef(Platform.DISCORD, "guild-1", "chan-1")
OTHER = ChannelRef(Platform.SLACK, "T01", "C01")


async def _subscribe(store: Store, channel: ChannelRef = CHANNEL) -> int:
    sub = await store.subscriptions.save(channel, SubscriptionSettings(), actor="u1", now=T0)
    return sub.id


async def test_subscription_is_created_then_updated_in_place(store: Store) -> None:
    created = await store.subscriptions.save(
        CHANNEL,
        SubscriptionSettings(min_votes=5, keywords=("LLM",), sources=(SourceKind.HF,)),
        actor="alice",
        now=T0,
    )
    later = T0 + dt.timedelta(hours=1)
    updated = await store.subscriptions.save(
        CHANNEL,
        SubscriptionSettings(top_n=3, post_time="18:30", timezone="Asia/Seoul"),
        actor="bob",
        now=later,
    )
    assert updated.id == created.id
    assert updated.settings == SubscriptionSettings(
        top_n=3, post_time="18:30", timezone="Asia/Seoul"
    )
    assert (updated.created_by, updated.created_at) == ("alice", T0)
    assert (updated.updated_by, updated.updated_at) == ("bob", later)
    assert await store.subscriptions.get(CHANNEL) == updated
    assert len(await store.subscriptions.list()) == 1


async def test_pause_resume_list_and_delete(store: Store) -> None:
    await _subscribe(store)
    await _subscribe(store, OTHER)
    paused = await store.subscriptions.set_paused(CHANNEL, True, reason="missing access")
    assert paused is not None
    assert (paused.paused, paused.paused_reason) == (True, "missing access")
    active = await store.subscriptions.list(active_only=True)
    assert [s.channel for s in active] == [OTHER]
    assert [s.channel for s in await store.subscriptions.list(platform=Platform.DISCORD)] == [
        CHANNEL
    ]
    resumed = await store.subscriptions.set_paused(CHANNEL, False)
    assert resumed is not None
    assert (resumed.paused, resumed.paused_reason) == (False, None)

    assert await store.subscriptions.delete(CHANNEL)
    assert not await store.subscriptions.delete(CHANNEL)
    assert await store.subscriptions.get(CHANNEL) is None
    missing = ChannelRef(Platform.SLACK, "T09", "C09")
    assert await store.subscriptions.set_paused(missing, True) is None


async def test_planning_twice_creates_each_delivery_once(store: Store) -> None:
    sub = await _subscribe(store)
    items = [
        PlannedDelivery(
            CHANNEL, sub, DeliveryKind.DIGEST, "2024-05-06", payload={"date": "2024-05-06"}
        ),
        PlannedDelivery(CHANNEL, sub, DeliveryKind.ALERT, "2405.00001"),
    ]
    first = await store.deliveries.plan(items, now=T0)
    second = await store.deliveries.plan(items, now=T0)
    assert len(first) == 2
    assert second == set()
    rows = await store.deliveries.list(subscription_id=sub)
    assert len(rows) == 2
    assert len({r.idempotency_key for r in rows}) == 2
    assert rows[0].payload == {"date": "2024-05-06"}
    assert all(r.state is DeliveryState.PENDING for r in rows)
