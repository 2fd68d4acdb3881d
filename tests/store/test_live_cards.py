"""Live cards in the store (both backends): registering a sent post's messages once,
planning versions compare-and-set, claims leased and fenced, and the window and the
per-channel switch respected by every read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from bot.models import WEBHOOK_WORKSPACE, ChannelRef, Platform
from bot.store import Store
from bot.store.outbox import claims, live
from bot.store.rows import DeliveryKind, PlannedDelivery, SubscriptionSettings

T0 = dt.datetime(2025, 3, 4, 9, 0, tzinfo=dt.UTC)
CHANNEL = ChannelRef(Platform.DISCORD, "guild-1", "chan-1")
LEASE = dt.timedelta(seconds=60)
SETTLE = dt.timedelta(seconds=20)
WINDOW = dt.timedelta(hours=48)
LOOK = json.dumps({"sources": ["hf"], "language": None, "layout": "channel"})


def payload(look: str = LOOK) -> dict[str, str]:
    return {"messages": "[]", "papers": "p1\np2", "day": "2025-03-03", "sent": "[]", "look": look}


async def sent_post(
    store: Store, channel: ChannelRef = CHANNEL, *, look: str = LOOK, at: dt.datetime = T0
) -> live.SentPost:
    """A digest post of a subscribed channel, sent at `at`, with no card rows yet."""
    await store.subscriptions.save(channel, SubscriptionSettings(), now=at)
    sub = await store.subscriptions.get(channel)
    assert sub is not None
    row = PlannedDelivery(channel, sub.id, DeliveryKind.DIGEST, "2025-03-03", payload=payload(look))
    await store.deliveries.plan([row], now=at)
    [claimed] = await claims.claim(
        store.db, platforms=[channel.platform], limit=1, lease=LEASE, clock=lambda: at
    )
    await claims.mark_sent(store.db, claimed, claimed.payload, message_id="m0", error=None, now=at)
    found = [
        p for p in await live.unregistered(store.db, since=at - WINDOW) if p.channel == channel
    ]
    assert len(found) == 1
    return found[0]


def cards_of(post: live.SentPost, count: int = 2) -> list[live.NewCard]:
    return [
        live.NewCard(
            post.delivery_id,
            position,
            f"m{position}",
            "m0" if position else None,
            f"shape{position}",
            f"posted{position}",
            live_until=post.sent_at + WINDOW,
            next_edit_at=post.sent_at + dt.timedelta(minutes=5),
        )
        for position in range(count)
    ]


async def registered(store: Store, channel: ChannelRef = CHANNEL) -> live.LivePost:
    post = await sent_post(store, channel)
    assert await live.register(store.db, cards_of(post), now=T0) == 2
    [found] = [p for p in await live.live_posts(store.db, now=T0) if p.channel == channel]
    return found


async def want(store: Store, card: live.Card, content_hash: str, message: dict[str, int]) -> int:
    return await live.want(store.db, [live.Wanted(card, content_hash, message)])


async def claim(store: Store, at: dt.datetime) -> list[live.ClaimedEdit]:
    return await live.claim(
        store.db,
        platforms=[Platform.DISCORD],
        limit=10,
        lease=LEASE,
        settle=SETTLE,
        clock=lambda: at,
    )


async def test_a_sent_post_is_registered_once_and_read_back_for_planning(store: Store) -> None:
    post = await sent_post(store)
    assert post.sent_at == T0
    assert await live.register(store.db, cards_of(post), now=T0) == 2
    assert await live.register(store.db, cards_of(post), now=T0) == 0  # another planner
    assert await live.unregistered(store.db, since=T0 - WINDOW) == []
    [found] = await live.live_posts(store.db, now=T0)
    assert (found.day, found.papers, found.look) == ("2025-03-03", ("p1", "p2"), LOOK)
    assert [(c.position, c.shape, c.showing) for c in found.cards] == [
        (0, "shape0", "posted0"),
        (1, "shape1", "posted1"),
    ]
    assert await live.live_days(store.db, now=T0) == {dt.date(2025, 3, 3)}


async def test_posts_without_a_look_or_through_slack_webhooks_are_never_registered(
    store: Store,
) -> None:
    old = ChannelRef(Platform.DISCORD, "guild-1", "old-post")
    hook = ChannelRef(Platform.SLACK, WEBHOOK_WORKSPACE, "slack-webhook:B1")
    for channel, look in ((old, ""), (hook, LOOK)):
        await store.subscriptions.save(channel, SubscriptionSettings(), now=T0)
        sub = await store.subscriptions.get(channel)
        assert sub is not None
        item = PlannedDelivery(channel, sub.id, DeliveryKind.DIGEST, "d", payload=payload(look))
        await store.deliveries.plan([item], now=T0)
    for claimed in await claims.claim(
        store.db, platforms=list(Platform), limit=10, lease=LEASE, clock=lambda: T0
    ):
        await claims.mark_sent(
            store.db, claimed, claimed.payload, message_id=None, error=None, now=T0
        )
    assert await live.unregistered(store.db, since=T0 - WINDOW) == []


async def test_planning_is_compare_and_set_on_the_version_read(store: Store) -> None:
    """Chunks of many cards are one write each; a card read before another planner moved
    it on is skipped, the others are planned."""
    post = await registered(store)
    first, _ = post.cards
    assert await want(store, first, "v1", {"n": 1})
    # A planner that read the card before that write is refused: its votes are older.
    assert not await want(store, first, "stale", {"n": 0})
    [again] = await live.live_posts(store.db, now=T0)
    assert (again.cards[0].wanted_version, again.cards[0].showing) == (1, "v1")
    assert await want(store, again.cards[0], "v2", {"n": 2})
    [due] = await claim(store, T0 + dt.timedelta(minutes=5))
    assert (due.version, due.message, due.thread_id) == (2, {"n": 2}, None)
    stale, fresh = post.cards  # as read at the start: the first has moved on since
    batch = [live.Wanted(stale, "old", {"n": 0}), live.Wanted(fresh, "w1", {"n": 1})]
    assert await live.want(store.db, batch) == 1


async def test_an_edit_is_due_only_after_the_interval_and_inside_the_window(
    store: Store,
) -> None:
    post = await registered(store)
    await want(store, post.cards[0], "v1", {"n": 1})
    assert await claim(store, T0 + dt.timedelta(minutes=4)) == []
    assert await live.next_due(store.db, platforms=[Platform.DISCORD], now=T0) == T0 + dt.timedelta(
        minutes=5
    )
    after_window = T0 + WINDOW + dt.timedelta(seconds=1)
    assert await claim(store, after_window) == []
    assert await live.next_due(store.db, platforms=[Platform.DISCORD], now=after_window) is None
    assert await live.live_posts(store.db, now=after_window) == []
    assert await live.live_days(store.db, now=after_window) == set()
    assert len(await claim(store, T0 + dt.timedelta(minutes=5))) == 1


async def test_claims_are_leased_fenced_and_settled(store: Store) -> None:
    post = await registered(store)
    await want(store, post.cards[0], "v1", {"n": 1})
    at = T0 + dt.timedelta(minutes=5)
    [mine] = await claim(store, at)
    assert await claim(store, at) == []  # held
    # The lease ran out, but the owner's request may still be on its way: not yet.
    assert await claim(store, at + LEASE) == []
    # Nor ever from under its own holder, still waiting for room to send.
    held = await live.claim(
        store.db,
        platforms=[Platform.DISCORD],
        limit=10,
        lease=LEASE,
        settle=SETTLE,
        clock=lambda: at + LEASE + SETTLE,
        holding=[mine.id],
    )
    assert held == []
    [theirs] = await claim(store, at + LEASE + SETTLE)
    assert theirs.version == mine.version == 1
    later = at + dt.timedelta(minutes=5)
    assert not await live.renew(store.db, mine, lease=LEASE, clock=lambda: at + LEASE + SETTLE)
    assert not await live.edited(store.db, mine, content_hash="v1", now=at, next_at=later)
    assert await live.renew(store.db, theirs, lease=LEASE, clock=lambda: at + LEASE + SETTLE)
    assert await live.edited(store.db, theirs, content_hash="v1", now=at, next_at=later)
    assert await claim(store, at + dt.timedelta(hours=1)) == []  # version 1 is shown
    [again] = await live.live_posts(store.db, now=at)
    assert again.cards[0].showing == "v1"


async def test_a_newer_version_planned_during_an_edit_is_sent_next(store: Store) -> None:
    post = await registered(store)
    await want(store, post.cards[0], "v1", {"n": 1})
    at = T0 + dt.timedelta(minutes=5)
    [sending] = await claim(store, at)
    [read] = await live.live_posts(store.db, now=at)
    assert await want(store, read.cards[0], "v2", {"n": 2})
    await live.edited(
        store.db, sending, content_hash="v1", now=at, next_at=at + dt.timedelta(minutes=5)
    )
    [following] = await claim(store, at + dt.timedelta(minutes=5))
    assert (following.version, following.message) == (2, {"n": 2})


async def test_paused_and_switched_off_channels_are_left_alone(store: Store) -> None:
    post = await registered(store)
    await want(store, post.cards[0], "v1", {"n": 1})
    at = T0 + dt.timedelta(minutes=5)
    sub = await store.subscriptions.get(CHANNEL)
    assert sub is not None
    off = dataclasses.replace(sub.settings, live_votes=False)
    await store.subscriptions.save(CHANNEL, off)
    assert await claim(store, at) == []
    assert await live.live_posts(store.db, now=at) == []
    assert await live.live_days(store.db, now=at) == set()
    await store.subscriptions.save(CHANNEL, sub.settings)
    await store.subscriptions.set_paused(CHANNEL, True, reason="test")
    assert await claim(store, at) == []
    await store.subscriptions.set_paused(CHANNEL, False)
    assert len(await claim(store, at)) == 1


async def test_a_gone_card_is_never_claimed_again(store: Store) -> None:
    post = await registered(store)
    await want(store, post.cards[0], "v1", {"n": 1})
    at = T0 + dt.timedelta(minutes=5)
    [claimed] = await claim(store, at)
    assert await live.stop(store.db, claimed, state=live.GONE, error="404 Unknown Message")
    [read] = await live.live_posts(store.db, now=at)
    assert [c.position for c in read.cards] == [1]
    assert await claim(store, at + dt.timedelta(hours=1)) == []


async def test_unregistered_posts_are_read_a_page_at_a_time_in_id_order(store: Store) -> None:
    channels = [ChannelRef(Platform.DISCORD, "guild-1", f"paged-{n}") for n in range(3)]
    ids = [(await sent_post(store, channel)).delivery_id for channel in channels]
    first = await live.unregistered(store.db, since=T0 - WINDOW, limit=2)
    assert [p.delivery_id for p in first] == ids[:2]
    rest = await live.unregistered(store.db, since=T0 - WINDOW, after=ids[1], limit=2)
    assert [p.delivery_id for p in rest] == ids[2:]
    assert await live.unregistered(store.db, since=T0 - WINDOW, after=ids[2]) == []
