"""What a subscription follows, and the Hugging Face accounts papers are listed under, on
SQLite and PostgreSQL: one follow per spelling key, gone with the subscription; accounts
kept through saves, bulk imports and merges; and the channel history follows ask."""

from __future__ import annotations

import datetime as dt

from bot.models import Account, ChannelRef, Platform, SourceKind
from bot.store import Store
from bot.store.outbox import history
from bot.store.rows import DeliveryKind, Follow, FollowKind, PlannedDelivery, SubscriptionSettings
from tests.store.factories import DAY, digest, paper

NOW = dt.datetime(2024, 5, 7, 9, 0, tzinfo=dt.UTC)
CHANNEL = ChannelRef(Platform.DISCORD, "111", "222")
OTHER = ChannelRef(Platform.SLACK, "T1", "C1")


async def test_one_follow_per_spelling_and_kind(store: Store) -> None:
    sub = await store.subscriptions.save(CHANNEL, SubscriptionSettings())
    follows = store.follows
    first = Follow(FollowKind.AUTHOR, "Kim Min-jun")
    assert await follows.add(sub.id, first, actor="U1", now=NOW) == first
    assert (
        await follows.add(sub.id, Follow(FollowKind.AUTHOR, "kim minjun"), actor="U2", now=NOW)
        is None
    )
    org = Follow(FollowKind.ORG, "Kim Minjun")  # the same key as another kind: its own follow
    assert await follows.add(sub.id, org, actor="U1", now=NOW) == org
    other = await store.subscriptions.save(OTHER, SubscriptionSettings())
    assert await follows.add(other.id, first, actor="U1", now=NOW) == first

    assert await follows.of(sub.id) == (first, org)  # authors first, the first spelling kept
    assert await follows.of_many([sub.id, other.id, 999]) == {
        sub.id: (first, org),
        other.id: (first,),
    }

    removed = await follows.remove(
        sub.id, FollowKind.AUTHOR, Follow(FollowKind.AUTHOR, "KIM MIN JUN").key
    )
    assert removed == first
    assert await follows.remove(sub.id, FollowKind.AUTHOR, first.key) is None
    assert await follows.of(sub.id) == (org,)
    assert await follows.of(other.id) == (first,)  # another channel's follows stay


async def test_follows_go_with_their_subscription(store: Store) -> None:
    sub = await store.subscriptions.save(CHANNEL, SubscriptionSettings())
    for name in ("Ada Quill", "Bo Ramsey"):
        await store.follows.add(sub.id, Follow(FollowKind.AUTHOR, name), actor=None, now=NOW)
    cleared = await store.follows.clear(sub.id)
    assert [f.name for f in cleared] == ["Ada Quill", "Bo Ramsey"]
    assert await store.follows.of(sub.id) == ()
    await store.follows.add(sub.id, Follow(FollowKind.ORG, "google"), actor=None, now=NOW)
    assert await store.subscriptions.delete(CHANNEL)
    again = await store.subscriptions.save(CHANNEL, SubscriptionSettings())
    assert await store.follows.of(again.id) == ()
    assert await store.follows.of_many([sub.id]) == {}


async def test_papers_keep_their_accounts_through_saves_and_merges(store: Store) -> None:
    org = Account("deepseek-ai", "DeepSeek")
    submitter = Account("ada", None)
    listed = paper("2405.00001", source=SourceKind.HF, language="en", organization=org)
    await store.writer.save(digest(listed, source=SourceKind.HF))
    # A later sighting without accounts (the markdown digest) keeps them; one that adds a
    # submitter fills it in.
    await store.writer.save(digest(paper("2405.00001"), date=DAY + dt.timedelta(days=1)))
    later = paper("2405.00001", source=SourceKind.HF, language="en", submitter=submitter)
    await store.writer.save(digest(later, date=DAY + dt.timedelta(days=2), source=SourceKind.HF))
    stored = await store.papers.get("2405.00001")
    assert stored is not None
    assert (stored.organization, stored.submitter) == (org, submitter)
    assert stored.to_paper().organization == org
    [day] = await store.papers.of_day(DAY)
    assert day.paper.submitter == submitter
    assert await store.papers.first_seen(["2405.00001", "2405.09999"]) == {"2405.00001": DAY}


async def test_bulk_imports_keep_accounts(store: Store) -> None:
    org = Account("google", "Google")
    async with store.writer.bulk(10) as bulk:
        await bulk.add(
            digest(
                paper("2405.00002", source=SourceKind.HF, organization=org), source=SourceKind.HF
            )
        )
    stored = await store.papers.get("2405.00002")
    assert stored is not None
    assert stored.organization == org


async def test_carried_names_the_papers_a_channels_posts_hold(store: Store) -> None:
    sub = await store.subscriptions.save(CHANNEL, SubscriptionSettings())
    rows = [
        PlannedDelivery(
            CHANNEL, sub.id, DeliveryKind.DIGEST, "2024-05-05", payload={"papers": "old"}
        ),
        PlannedDelivery(
            CHANNEL, sub.id, DeliveryKind.DIGEST, "2024-05-06", payload={"papers": "a\nb"}
        ),
        PlannedDelivery(CHANNEL, sub.id, DeliveryKind.ALERT, "c", payload={"papers": "c"}),
        PlannedDelivery(OTHER, None, DeliveryKind.DIGEST, "2024-05-06", payload={"papers": "d"}),
    ]
    await store.deliveries.plan(rows, now=NOW)
    asked = ["a", "b", "c", "d", "old", "e"]
    assert await history.carried(store.db, CHANNEL, asked, since=DAY) == {"a", "b", "c"}
    earlier = DAY - dt.timedelta(days=1)
    assert await history.carried(store.db, CHANNEL, asked, since=earlier) == {"a", "b", "c", "old"}
    assert await history.carried(store.db, OTHER, asked, since=DAY) == {"d"}
    assert await history.carried(store.db, CHANNEL, [], since=DAY) == set()
