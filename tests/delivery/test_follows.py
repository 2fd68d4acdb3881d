"""Follows end to end, through the planner, the outbox, the delivery worker and the fakes'
message logs (the ground truth), on SQLite and PostgreSQL: a followed author's paper below
a channel's vote threshold is posted there once, marked, and never again on a later day or
as a vote alert; unfollowing stops it; an organisation follow marks a Discord card."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.delivery.payload import Post
from bot.delivery.planner import Outcome
from bot.models import Account, ChannelRef, Digest, Paper, Platform, SourceKind
from bot.store import Store
from bot.store.rows import DeliveryKind, Follow, FollowKind, Subscription, SubscriptionSettings
from tests.delivery.support import FakeClock, running_engine
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack

DAY = dt.date(2025, 3, 3)
NEXT_DAY = DAY + dt.timedelta(days=1)
NOW = dt.datetime(2025, 3, 4, 9, 20, tzinfo=dt.UTC)
FOLLOWED = "Zoë Hartmann-Kim"
"""A synthetic author; channels follow her as people type her name."""
SETTINGS = SubscriptionSettings(min_votes=20, top_n=2)


def paper(
    arxiv_id: str, title: str, votes: int, *authors: str, day: dt.date = DAY, **extra: Any
) -> Paper:
    return Paper(
        title=title,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        date=day,
        source=SourceKind.HF,
        language="en",
        arxiv_id=arxiv_id,
        votes=votes,
        authors=authors or ("Ada Example",),
        abstract=f"We study {title.lower()}. The results are synthetic.",
        **extra,
    )


QUIET = paper("2503.00003", "Quiet Paper on Tidal Sensors", 3, "Bo Sample", FOLLOWED)


def first_day(quiet_votes: int = 3) -> Digest:
    papers = (
        paper("2503.00001", "Bright Paper on Agents", 40),
        paper("2503.00002", "Loud Paper on Proteins", 25),
        paper(QUIET.arxiv_id or "", QUIET.title, quiet_votes, *QUIET.authors),
        paper("2503.00004", "Another Quiet Paper", 2, "Cy Other"),
    )
    return Digest(DAY, SourceKind.HF, papers, language="en")


def later_day(day: dt.date = NEXT_DAY) -> Digest:
    """The quiet paper shows up again on a later day (papers reappear), beside two new ones."""
    papers = (
        paper("2503.00005", "Fresh Paper on Rivers", 31, day=day),
        paper("2503.00006", "Fresh Paper on Lakes", 22, day=day),
        paper(QUIET.arxiv_id or "", QUIET.title, 4, *QUIET.authors, day=day),
    )
    return Digest(day, SourceKind.HF, papers, language="en")


def slack_ref(channel: str) -> ChannelRef:
    return ChannelRef(Platform.SLACK, "T0FAKE0001", channel)


async def follow(store: Store, sub: Subscription, kind: FollowKind, name: str) -> None:
    assert await store.follows.add(sub.id, Follow(kind, name), actor="U1", now=NOW)


def texts(fake: FakeSlack, channel: str) -> list[str]:
    return [str(m["text"]) for m in fake.channels[channel].messages]


def context_texts(message: dict[str, Any]) -> list[str]:
    return [
        element["text"]
        for block in message["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
    ]


async def test_a_followed_author_below_the_threshold_is_posted_once(
    database_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel("C0OTHERS01")
    clock = FakeClock(NOW)
    env: dict[str, Any] = {
        "slack_bot_token": fake_slack.bot_token,
        "slack_api_base": fake_slack.api_base,
    }
    async with running_engine(database_url, clock=clock, **env) as bot:
        store, planner = bot.store, bot.engine.planner
        follower = await store.subscriptions.save(slack_ref("C0PAPERS01"), SETTINGS)
        plain = await store.subscriptions.save(slack_ref("C0OTHERS01"), SETTINGS)
        await follow(store, follower, FollowKind.AUTHOR, "zoe hartmann kim")
        await store.writer.save(first_day())

        # One post time for both channels: only the follower gets the quiet paper.
        results = await planner.plan_slot([follower, plain], NOW)
        assert [r.outcome for r in results] == [Outcome.PLANNED, Outcome.PLANNED]
        await bot.drained()
        [row] = await store.deliveries.list(channel=follower.channel)
        assert Post.from_payload(row.payload).papers == ("2503.00001", "2503.00002", "2503.00003")
        assert Post.from_payload(row.payload).watch == ("2503.00004",)  # the quiet one is in

        # Its votes rise past the threshold: the other channel gets its vote alert, the
        # follower none (it has the paper already).
        await store.writer.save(first_day(quiet_votes=30))
        assert await bot.engine.alerts.check() == 1
        [alert] = [r for r in await store.deliveries.list() if r.kind is DeliveryKind.ALERT]
        assert (alert.channel, alert.item_key) == (plain.channel, "2503.00003")

        # The next day lists it again: the follower does not get it a second time (its post
        # carries it), nor through /digest (the newest day, already posted).
        await store.writer.save(later_day())
        later = NOW + dt.timedelta(days=1)
        clock.advance(days=1)
        results = await planner.plan_slot([follower, plain], later)
        assert [r.outcome for r in results] == [Outcome.PLANNED, Outcome.PLANNED]
        queued = await planner.post_now(
            follower.channel, follower.settings, subscription=follower.id
        )
        assert queued is not None
        assert not queued.created
        await bot.drained()

    followed = texts(fake_slack, "C0PAPERS01")
    others = texts(fake_slack, "C0OTHERS01")
    assert sum(QUIET.title in t for t in followed) == 1
    assert len(followed) == 2 + 3 + 2  # two headers, three papers, then two
    assert [QUIET.title in t for t in others] == [False] * 3 + [True] + [False] * 3  # the alert
    [card] = [
        m for m in fake_slack.channels["C0PAPERS01"].messages if QUIET.title in str(m["text"])
    ]
    assert "*Following:* zoe hartmann kim" in context_texts(card)  # the fake checked limits
    for message in fake_slack.channels["C0PAPERS01"].messages:
        if QUIET.title not in str(message["text"]):
            assert not any("Following" in t for t in context_texts(message))


async def test_unfollowing_stops_it_and_a_new_follow_digs_up_nothing(
    database_url: str, fake_slack: FakeSlack
) -> None:
    clock = FakeClock(NOW)
    env: dict[str, Any] = {
        "slack_bot_token": fake_slack.bot_token,
        "slack_api_base": fake_slack.api_base,
    }
    async with running_engine(database_url, clock=clock, **env) as bot:
        store, planner = bot.store, bot.engine.planner
        sub = await store.subscriptions.save(slack_ref("C0PAPERS01"), SETTINGS)
        await follow(store, sub, FollowKind.AUTHOR, FOLLOWED)
        key = Follow(FollowKind.AUTHOR, "ZOE HARTMANN KIM").key
        assert await store.follows.remove(sub.id, FollowKind.AUTHOR, key) is not None
        await store.writer.save(first_day())
        await planner.plan_occurrence(sub, NOW)

        # Followed again when the paper is listed two days later: it was first seen before
        # the day before, so it is no news and stays out.
        await follow(store, sub, FollowKind.AUTHOR, FOLLOWED)
        await store.writer.save(later_day(DAY + dt.timedelta(days=2)))
        clock.advance(days=2)
        await planner.plan_occurrence(sub, NOW + dt.timedelta(days=2))
        await bot.drained()
        rows = await store.deliveries.list(channel=sub.channel)
    assert [Post.from_payload(r.payload).papers for r in rows] == [
        ("2503.00001", "2503.00002"),
        ("2503.00005", "2503.00006"),
    ]
    assert not any(QUIET.title in t for t in texts(fake_slack, "C0PAPERS01"))


async def test_an_org_follow_marks_the_discord_card(
    database_url: str, fake_discord: FakeDiscord
) -> None:
    """An HF organisation (by its shown name) or submitter (by handle) is followed; the
    paper, outside the channel's keywords, comes with /digest, marked, within Discord's
    limits and pinging nobody."""
    channel = ChannelRef(
        Platform.DISCORD, str(fake_discord.guild_id), str(fake_discord.default_channel.id)
    )
    env: dict[str, Any] = {
        "discord_token": fake_discord.token,
        "discord_api_base": fake_discord.api_base,
    }
    listed = paper(
        "2503.00007",
        "Tidal Models by a Lab",
        90,
        organization=Account("tidal-lab", "Tidal Lab"),
        submitter=Account("ada-ex", "Ada Example"),
    )
    day = Digest(DAY, SourceKind.HF, (*first_day().papers, listed), language="en")
    async with running_engine(database_url, **env) as bot:
        store = bot.store
        settings = SubscriptionSettings(keywords=("agents",))
        sub = await store.subscriptions.save(channel, settings)
        await follow(store, sub, FollowKind.ORG, "TIDAL LAB")
        await follow(store, sub, FollowKind.ORG, "ADA-EX")
        await store.writer.save(day)
        queued = await bot.engine.planner.post_now(channel, settings, subscription=sub.id)
        assert queued is not None
        assert (queued.created, queued.papers) == (True, 2)
        await bot.drained()
    [message] = fake_discord.default_channel.messages  # the fake refuses a body over a limit
    titles = [embed["title"] for embed in message["embeds"]]
    assert titles[1:] == ["Bright Paper on Agents", "Tidal Models by a Lab"]
    fields = {f["name"]: f["value"] for f in message["embeds"][2]["fields"]}
    assert fields["Following"] == "TIDAL LAB, ADA-EX"
    assert "Following" not in {f["name"] for f in message["embeds"][1]["fields"]}
