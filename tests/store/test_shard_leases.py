"""Gateway shard leases, live instances and identify slots, on SQLite and PostgreSQL: the
rules several instances rely on to serve each shard exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.store import Store, open_store
from tests.store.conftest import Backend

T0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(seconds=30)
FIVE = dt.timedelta(seconds=5)


async def test_the_first_instance_sets_the_count_and_a_running_fleet_keeps_it(
    store: Store,
) -> None:
    shards = store.shards
    assert await shards.agree_count("a", 4, now=T0) == 4
    await shards.renew("a", now=T0, ttl=TTL)
    assert await shards.take("a", 2, now=T0, ttl=TTL) == {0, 1}
    # "b" wants 8 while "a" holds live leases: the fleet's 4 stands.
    assert await shards.agree_count("b", 8, now=T0) == 4
    # Once every lease ran out (the whole fleet was restarted), a new count is taken.
    assert await shards.agree_count("b", 8, now=T0 + 2 * TTL) == 8
    assert sorted(await shards.owners(now=T0 + 2 * TTL)) == list(range(8))


async def test_shards_are_shared_fairly_and_never_taken_twice(store: Store) -> None:
    shards = store.shards
    await shards.agree_count("a", 3, now=T0)
    alone = await shards.renew("a", now=T0, ttl=TTL)
    assert alone.live_instances == 1
    assert alone.fair_share == 3
    assert await shards.take("a", alone.fair_share, now=T0, ttl=TTL) == {0, 1, 2}

    second = await shards.renew("b", now=T0, ttl=TTL)
    assert second.live_instances == 2
    assert second.fair_share == 2  # 3 shards over 2 instances, rounded up
    assert await shards.take("b", 2, now=T0, ttl=TTL) == set()  # all held by "a"

    again = await shards.renew("a", now=T0 + FIVE, ttl=TTL)
    assert again.owned == {0, 1, 2}
    assert again.fair_share == 2
    await shards.release("a", frozenset({2}), now=T0 + FIVE)
    assert await shards.take("b", 2, now=T0 + FIVE, ttl=TTL) == {2}
    assert await shards.owners(now=T0 + FIVE) == {0: "a", 1: "a", 2: "b"}


async def test_an_instance_that_stops_renewing_loses_its_shards_to_the_others(
    store: Store,
) -> None:
    shards = store.shards
    await shards.agree_count("a", 2, now=T0)
    await shards.renew("a", now=T0, ttl=TTL)
    await shards.take("a", 2, now=T0, ttl=TTL)
    await shards.renew("b", now=T0, ttl=TTL)

    # "a" died at T0: inside its lease nothing is free; once it ran out, "b" takes both.
    assert await shards.take("b", 2, now=T0 + TTL - FIVE, ttl=TTL) == set()
    later = T0 + TTL + FIVE
    tenure = await shards.renew("b", now=later, ttl=TTL)
    assert tenure.live_instances == 1
    assert await shards.take("b", tenure.fair_share, now=later, ttl=TTL) == {0, 1}
    # "a" comes back (a long stall): its renewal finds nothing is its own any more.
    assert (await shards.renew("a", now=later, ttl=TTL)).owned == frozenset()


async def test_a_clean_stop_frees_the_shards_at_once(store: Store) -> None:
    shards = store.shards
    await shards.agree_count("a", 2, now=T0)
    await shards.renew("a", now=T0, ttl=TTL)
    await shards.take("a", 2, now=T0, ttl=TTL)
    await shards.leave("a", now=T0)
    tenure = await shards.renew("b", now=T0, ttl=TTL)
    assert tenure.live_instances == 1
    assert await shards.take("b", 2, now=T0, ttl=TTL) == {0, 1}


async def test_identify_slots_are_one_per_bucket_every_interval(store: Store) -> None:
    shards = store.shards
    assert await shards.claim_identify(0, now=T0, interval=FIVE) == dt.timedelta(0)
    # Another bucket is independent; the same bucket waits out the rest of the interval.
    assert await shards.claim_identify(1, now=T0, interval=FIVE) == dt.timedelta(0)
    wait = await shards.claim_identify(0, now=T0 + dt.timedelta(seconds=2), interval=FIVE)
    assert wait == dt.timedelta(seconds=3)
    assert await shards.claim_identify(0, now=T0 + FIVE, interval=FIVE) == dt.timedelta(0)


async def test_instances_starting_at_once_agree_on_one_count(
    store: Store, backend: Backend
) -> None:
    """Eight instances (each with its own connections) start together on an empty table,
    as `docker compose up --scale bot=3` starts them: each one agrees on a count, none of
    them fails, and the table holds the shards once."""

    async def agree(name: str, wanted: int) -> int:
        async with open_store(backend.url, migrate=False, search_path=backend.search_path) as own:
            return await own.shards.agree_count(name, wanted, now=T0)

    counts = await asyncio.gather(*(agree(f"i{n}", 4) for n in range(8)))
    assert counts == [4] * 8
    assert sorted(await store.shards.owners(now=T0)) == [0, 1, 2, 3]


async def test_instances_taking_at_once_split_the_free_shards(
    store: Store, backend: Backend
) -> None:
    """Eight instances (each with its own connections) race for 16 free shards, two each:
    every shard ends with exactly one owner."""
    await store.shards.agree_count("seed", 16, now=T0)

    async def take(name: str) -> frozenset[int]:
        async with open_store(backend.url, migrate=False, search_path=backend.search_path) as own:
            await own.shards.renew(name, now=T0, ttl=TTL)
            return await own.shards.take(name, 2, now=T0, ttl=TTL)

    taken = await asyncio.gather(*(take(f"i{n}") for n in range(8)))
    flat = [shard for got in taken for shard in got]
    assert sorted(flat) == list(range(16))
    owners = await store.shards.owners(now=T0)
    assert all(owners[shard] == f"i{n}" for n, got in enumerate(taken) for shard in got)


async def test_instances_without_a_gateway_are_counted_with_those_serving_shards(
    store: Store,
) -> None:
    """A Slack-only instance renews its row through the fleet; a Discord one through its
    shard leases: both count in the fleet size each uses to split the per-bot budgets."""
    assert await store.fleet.renew("slack-only", now=T0, ttl=TTL) == 1
    await store.shards.agree_count("discord", 2, now=T0)
    assert (await store.shards.renew("discord", now=T0, ttl=TTL)).live_instances == 2
    assert await store.fleet.renew("slack-only", now=T0 + FIVE, ttl=TTL) == 2
    # A clean stop leaves at once; a killed instance stops counting when its row runs out.
    await store.fleet.leave("slack-only")
    assert (await store.shards.renew("discord", now=T0 + FIVE, ttl=TTL)).live_instances == 1
    assert await store.fleet.renew("slack-only", now=T0 + FIVE, ttl=TTL) == 2
    later = T0 + FIVE + TTL + FIVE
    assert await store.fleet.renew("slack-only", now=later, ttl=TTL) == 1
