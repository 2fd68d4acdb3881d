"""The worker's outbox statements on both backends: leases, fencing of an owner that lost
its lease, and several claimers (separate connection pools, like separate processes)
sharing one outbox without ever sharing a row or breaking a channel's order."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from bot.models import ChannelRef, Platform
from bot.store import Store, open_store
from bot.store.outbox import claims as queries
from bot.store.rows import (
    DeliveryKind,
    DeliveryState,
    PlannedDelivery,
    Subscription,
    SubscriptionSettings,
)

T0 = dt.datetime(2025, 3, 4, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=1)
PLATFORMS = (Platform.DISCORD, Platform.SLACK)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    async with open_store(database_url) as opened:
        yield opened


async def subscribe(store: Store, n: int) -> Subscription:
    platform = PLATFORMS[n % 2]
    return await store.subscriptions.save(
        ChannelRef(platform, "W1", f"C{n:05d}"), SubscriptionSettings()
    )


async def plan(store: Store, sub: Subscription, *days: str) -> None:
    await store.deliveries.plan(
        [
            PlannedDelivery(sub.channel, sub.id, DeliveryKind.DIGEST, day, payload={"day": day})
            for day in days
        ],
        now=T0,
    )


def at(moment: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: moment


async def claim(store: Store, *, now: dt.datetime, limit: int = 10) -> list[queries.Claimed]:
    return await queries.claim(
        store.db, platforms=PLATFORMS, limit=limit, lease=LEASE, clock=lambda: now
    )


async def test_a_live_lease_is_never_handed_out_again_and_an_expired_one_is_orphaned(
    store: Store,
) -> None:
    await plan(store, await subscribe(store, 0), "2025-03-03")
    (first,) = await claim(store, now=T0)
    assert not first.orphaned
    assert await claim(store, now=T0 + LEASE - dt.timedelta(seconds=1)) == []
    (again,) = await claim(store, now=T0 + LEASE)
    assert again.id == first.id
    assert again.orphaned
    assert again.previous_update == T0  # reconcile looks for messages from here on
    assert again.attempt == first.attempt + 1


async def test_a_late_answer_from_an_owner_whose_lease_ran_out_is_dropped(store: Store) -> None:
    await plan(store, await subscribe(store, 0), "2025-03-03")
    (stale,) = await claim(store, now=T0)
    later = T0 + 2 * LEASE
    (current,) = await claim(store, now=later)  # the first owner stalled past its lease

    assert await queries.extend_leases(store.db, [stale], lease=LEASE, clock=at(later)) == set()
    assert not await queries.save_progress(
        store.db, stale, {"day": "x"}, lease=LEASE, clock=at(later)
    )
    assert not await queries.mark_sent(
        store.db, stale, {"day": "stale"}, message_id="m-stale", error=None, now=later
    )
    kept = await queries.extend_leases(store.db, [current], lease=LEASE, clock=at(later))
    assert kept == {current.id}
    assert await queries.mark_sent(
        store.db, current, {"day": "current"}, message_id="m-current", error=None, now=later
    )
    (row,) = await store.deliveries.list()
    assert (row.state, row.platform_message_id, row.payload) == (
        DeliveryState.SENT,
        "m-current",
        {"day": "current"},
    )


async def test_an_earlier_post_blocks_the_channels_next_until_it_is_done(store: Store) -> None:
    sub = await subscribe(store, 0)
    await plan(store, sub, "2025-03-01", "2025-03-02")
    (first,) = await claim(store, now=T0)
    assert first.item_key == "2025-03-01"
    retry_at = T0 + dt.timedelta(minutes=5)
    assert await queries.mark_failed(
        store.db, first, {"day": "1"}, error="500", retry_at=retry_at, now=T0
    )
    assert await claim(store, now=T0 + dt.timedelta(minutes=1)) == []  # waiting for its retry
    assert await queries.next_due(store.db, platforms=PLATFORMS) == retry_at
    (retried,) = await claim(store, now=retry_at)
    assert retried.id == first.id
    assert await queries.mark_sent(
        store.db, retried, {"day": "1"}, message_id="m1", error=None, now=retry_at
    )
    (second,) = await claim(store, now=retry_at)
    assert second.item_key == "2025-03-02"


async def test_a_dead_letter_is_final_and_counted(store: Store) -> None:
    sub = await subscribe(store, 0)
    await plan(store, sub, "2025-03-01", "2025-03-02")
    (first,) = await claim(store, now=T0)
    assert await queries.mark_dead(store.db, first, {"day": "1"}, error="HTTP 403", now=T0)
    assert not await queries.mark_sent(
        store.db, first, {"day": "1"}, message_id="m", error=None, now=T0
    )  # a finished row stays finished
    (second,) = await claim(store, now=T0)  # a dead post no longer holds the channel up
    assert second.item_key == "2025-03-02"
    counts = await store.deliveries.counts()
    assert (counts[DeliveryState.DEAD], counts[DeliveryState.IN_FLIGHT]) == (1, 1)
    dead = await store.deliveries.get(first.id)
    assert dead is not None
    assert (dead.state, dead.last_error) == (DeliveryState.DEAD, "HTTP 403")


async def test_paused_subscriptions_are_not_claimed_and_delete_cascades(store: Store) -> None:
    sub = await subscribe(store, 0)
    await plan(store, sub, "2025-03-03")
    await store.subscriptions.set_paused(sub.channel, True, reason="kicked")
    assert await claim(store, now=T0) == []
    await store.subscriptions.set_paused(sub.channel, False)
    assert len(await claim(store, now=T0)) == 1
    await store.subscriptions.delete(sub.channel)
    assert await store.deliveries.list() == []


async def test_claims_respect_the_limit_and_never_overlap(store: Store) -> None:
    for n in range(5):
        await plan(store, await subscribe(store, n), "2025-03-03")
    first = await claim(store, now=T0, limit=3)
    rest = await claim(store, now=T0, limit=3)
    assert (len(first), len(rest)) == (3, 2)
    assert not {c.id for c in first} & {c.id for c in rest}


@dataclass
class Ledger:
    """What the claimers did, stamped with this process's monotonic clock."""

    claimed: dict[int, list[float]] = field(default_factory=dict)
    """Row id -> when each claim of it returned."""
    sending_done: dict[int, float] = field(default_factory=dict)
    """Row id -> when marking it sent started (the claim that follows must come later)."""


async def claimer(url: str, ledger: Ledger, rows: int) -> int:
    """Claim and finish rows until all `rows` are sent; returns how many this one did."""
    done = 0
    async with open_store(url, migrate=False) as own:
        while len(ledger.sending_done) < rows:
            now = dt.datetime.now(dt.UTC)
            got = await queries.claim(
                own.db, platforms=PLATFORMS, limit=4, lease=LEASE, clock=at(now)
            )
            returned = time.monotonic()
            for item in got:
                ledger.claimed.setdefault(item.id, []).append(returned)
            for item in got:
                await asyncio.sleep(0)  # let the others run between sends
                ledger.sending_done[item.id] = time.monotonic()
                assert await queries.mark_sent(
                    own.db, item, item.payload, message_id=str(item.id), error=None, now=now
                )
                done += 1
            if not got:
                await asyncio.sleep(0.01)
    return done


async def test_concurrent_claimers_share_the_outbox_without_sharing_a_row(
    store: Store, database_url: str
) -> None:
    days = ("2025-03-01", "2025-03-02", "2025-03-03")
    subs = [await subscribe(store, n) for n in range(30)]
    for sub in subs:
        await plan(store, sub, *days)
    rows = await store.deliveries.list()
    ledger = Ledger()

    async with asyncio.timeout(60):
        shares = await asyncio.gather(*(claimer(database_url, ledger, len(rows)) for _ in range(4)))

    assert sum(shares) == len(rows)
    assert all(len(stamps) == 1 for stamps in ledger.claimed.values()), "a row claimed twice"
    assert set(ledger.claimed) == {r.id for r in rows}
    for sub in subs:
        own = sorted(r.id for r in rows if r.subscription_id == sub.id)
        for earlier, later in itertools.pairwise(own):
            # The later post is claimed only once the earlier one was being marked sent.
            assert ledger.claimed[later][0] > ledger.sending_done[earlier], (sub.id, own)
    final = await store.deliveries.counts()
    assert final[DeliveryState.SENT] == len(rows)
    print("rows per claimer:", shares)


async def test_the_oldest_open_post_per_platform_is_the_outboxs_lag(store: Store) -> None:
    """Open posts count from when they were planned, in flight or not; a sent or dead
    post, or one held by a paused subscription, no longer does."""
    discord, slack, paused = [await subscribe(store, n) for n in (0, 1, 2)]
    await store.deliveries.plan(
        [PlannedDelivery(paused.channel, paused.id, DeliveryKind.DIGEST, "d0", payload={})],
        now=T0 - dt.timedelta(hours=3),
    )
    await store.subscriptions.set_paused(paused.channel, True, reason="holidays")
    await plan(store, discord, "2025-03-03")
    await store.deliveries.plan(
        [PlannedDelivery(slack.channel, slack.id, DeliveryKind.DIGEST, "d1", payload={})],
        now=T0 + dt.timedelta(minutes=5),
    )
    assert await queries.oldest_open(store.db) == {
        Platform.DISCORD: T0,
        Platform.SLACK: T0 + dt.timedelta(minutes=5),
    }
    later = T0 + dt.timedelta(minutes=10)
    claimed = {row.channel.platform: row for row in await claim(store, now=later)}
    assert set(await queries.oldest_open(store.db)) == {Platform.DISCORD, Platform.SLACK}
    await queries.mark_sent(
        store.db, claimed[Platform.DISCORD], {}, message_id="m", error=None, now=later
    )
    await queries.mark_dead(store.db, claimed[Platform.SLACK], {}, error="HTTP 403", now=later)
    assert await queries.oldest_open(store.db) == {}
