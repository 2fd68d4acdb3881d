"""Live cards in process, against the fake platforms and both databases: a posted digest's
vote counts are edited in place as new votes are stored, each message as a fresh render of
its papers would show it, coalesced and spaced, within the window, never before a post,
harmlessly repeated, and never for a channel that turned them off or a message that is
gone. A paper already on a card gets no alert (no second card)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.compose.digest import Composed, compose, load_day, render_options
from bot.delivery.payload import Post
from bot.models import (
    CONSOLE_WORKSPACE,
    WEBHOOK_WORKSPACE,
    ChannelKind,
    ChannelRef,
    Platform,
    SourceKind,
)
from bot.render.message import RenderedMessage
from bot.render.platforms import render_digest
from bot.sources.hf_api import parse_hf_daily
from bot.sources.markdown import parse_markdown_digest
from bot.store import Store
from bot.store.outbox import live
from bot.store.outbox.live import REGISTER_PAGE
from bot.store.rows import (
    Delivery,
    DeliveryKind,
    Follow,
    FollowKind,
    Subscription,
    SubscriptionSettings,
)
from tests.app.content import Entry, hf_items, markdown_digest
from tests.delivery.support import Engine, FakeClock, running_engine
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack

DAY = dt.date(2025, 3, 3)
OCCURRENCE = dt.datetime(2025, 3, 4, 9, 0, tzinfo=dt.UTC)
ENTRIES = (
    Entry("2503.10001", "Tidal Attention for Long Documents", 40),
    Entry("2503.10002", "Sparse Lanterns in Vision Models", 25),
    Entry("2503.10003", "Gentle Rewards for Small Agents", 9),
    Entry("2503.10004", "A Paper Left Off the Cards", 2),
)
SETTINGS = SubscriptionSettings(top_n=3, sources=(SourceKind.HF,))
HELD = 1.5
"""Seconds the fake holds a post before answering, where a test needs posts in flight."""


def with_votes(**votes: int) -> tuple[Entry, ...]:
    """ENTRIES with new counts, by the arXiv id's last digits (`p3=77`)."""
    return tuple(
        dataclasses.replace(e, votes=votes.get(f"p{e.arxiv_id[-1]}", e.votes)) for e in ENTRIES
    )


async def save_votes(store: Store, entries: tuple[Entry, ...] = ENTRIES) -> None:
    await store.writer.save(parse_hf_daily(hf_items(DAY, entries), day=DAY))


def env(
    discord: FakeDiscord | None = None, slack: FakeSlack | None = None, **extra: Any
) -> dict[str, Any]:
    found: dict[str, Any] = {"live_cards_edit_interval": 1, **extra}
    if discord is not None:
        found |= {"discord_token": discord.token, "discord_api_base": discord.api_base}
    if slack is not None:
        found |= {"slack_bot_token": slack.bot_token, "slack_api_base": slack.api_base}
    return found


def discord_ref(fake: FakeDiscord) -> ChannelRef:
    return ChannelRef(Platform.DISCORD, str(fake.guild_id), str(fake.default_channel.id))


def slack_ref(fake: FakeSlack) -> ChannelRef:
    return ChannelRef(Platform.SLACK, fake.team_id, fake.default_channel.id)


async def post_digest(bot: Engine, *subs: Subscription) -> None:
    for sub in subs:
        await bot.engine.planner.plan_occurrence(sub, OCCURRENCE)
    await bot.drained()


async def post_then_change(bot: Engine, sub: Subscription, **votes: int) -> None:
    """The digest posted to `sub`, then, once its edit interval (1 s) has passed, new
    votes stored and one edit planned."""
    await post_digest(bot, sub)
    await bot.engine.live.refresh()
    await asyncio.sleep(1.1)
    await save_votes(bot.store, with_votes(**votes))
    assert await bot.engine.live.refresh() == 1


async def fresh_render(
    store: Store, row: Delivery, settings: SubscriptionSettings
) -> list[RenderedMessage]:
    """What a fresh post of the row's papers (in its places) shows with the stored votes."""
    post = Post.from_payload(row.payload)
    digest = await load_day(store, DAY, settings.sources, language=settings.language)
    assert digest is not None
    by_key = {p.key: p for p in digest.papers}
    papers = [by_key[k] for k in post.papers]
    return render_digest(row.channel.platform, digest, papers, render_options(settings))


def discord_shows(message: dict[str, Any]) -> dict[str, Any]:
    embeds = [{k: v for k, v in e.items() if k != "type"} for e in message["embeds"]]
    return {"content": message["content"], "embeds": embeds}


def votes_shown(message: dict[str, Any]) -> list[str]:
    return [
        f["value"] for e in message["embeds"] for f in e.get("fields", []) if "👍" in f["value"]
    ]


async def digest_row(store: Store, channel: ChannelRef) -> Delivery:
    [row] = [
        r for r in await store.deliveries.list(channel=channel) if r.kind is DeliveryKind.DIGEST
    ]
    return row


async def test_posted_counts_are_edited_in_place_as_a_fresh_post_would_show_them(
    database_url: str, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    thread = dataclasses.replace(SETTINGS, layout="thread")
    async with running_engine(database_url, **env(fake_discord, fake_slack)) as bot:
        await save_votes(bot.store)
        on_discord = await bot.store.subscriptions.save(discord_ref(fake_discord), SETTINGS)
        on_slack = await bot.store.subscriptions.save(slack_ref(fake_slack), thread)
        await post_digest(bot, on_discord, on_slack)
        posted = (
            len(fake_discord.default_channel.messages),
            len(fake_slack.default_channel.messages),
        )
        assert posted == (1, 4)  # Discord: header and cards in one; Slack: header, 3 replies
        assert await bot.engine.live.refresh() == 0  # registered; nothing changed yet

        # The third card's paper overtakes the others; the fourth paper (no card) rises too.
        await save_votes(bot.store, with_votes(p2=31, p3=77, p4=90))
        assert await bot.engine.live.refresh() == 4  # Discord 1; Slack header and 2 replies

        await until(bot, lambda: len(fake_discord.edits) == 1 and len(fake_slack.edits) == 3)
        discord_row = await digest_row(bot.store, discord_ref(fake_discord))
        slack_row = await digest_row(bot.store, slack_ref(fake_slack))
        discord_fresh = await fresh_render(bot.store, discord_row, SETTINGS)
        slack_fresh = await fresh_render(bot.store, slack_row, thread)
        assert await bot.engine.live.refresh() == 0  # what is shown is what is wanted

    [message] = fake_discord.default_channel.messages
    assert discord_shows(message) == {"content": "", "embeds": discord_fresh[0].body["embeds"]}
    assert votes_shown(message) == ["👍 40", "👍 31", "👍 77"]  # the cards kept their places
    assert [(m["text"], m["blocks"]) for m in fake_slack.default_channel.messages] == [
        (m.body["text"], m.body["blocks"]) for m in slack_fresh
    ]
    header = fake_slack.default_channel.messages[0]
    assert "· 👍 77" in str(header["blocks"])  # the thread's index line shows the new count
    assert not any(
        "A Paper Left Off the Cards" in str(m) for m in fake_slack.default_channel.messages
    )
    assert (
        len(fake_discord.default_channel.messages),
        len(fake_slack.default_channel.messages),
    ) == posted
    assert fake_discord.refused_edits == []
    assert fake_slack.refused_edits == []
    assert fake_discord.throttled == fake_slack.throttled == []


async def test_changes_between_two_edits_go_out_together_no_sooner_than_the_interval(
    database_url: str, fake_discord: FakeDiscord
) -> None:
    clock = FakeClock(OCCURRENCE)
    async with running_engine(
        database_url, clock=clock, **env(fake_discord, live_cards_edit_interval=300)
    ) as bot:
        await save_votes(bot.store)
        sub = await bot.store.subscriptions.save(discord_ref(fake_discord), SETTINGS)
        await post_digest(bot, sub)
        for seconds, votes in ((10, 41), (20, 42)):
            clock.now = OCCURRENCE + dt.timedelta(seconds=seconds)
            await save_votes(bot.store, with_votes(p1=votes))
            assert await bot.engine.live.refresh() == 1
        await _idle(bot)
        assert fake_discord.edits == []  # the post itself was the last write: 300 s
        clock.now = OCCURRENCE + dt.timedelta(seconds=301)
        await until(bot, lambda: len(fake_discord.edits) >= 1)
        await _idle(bot)
        assert len(fake_discord.edits) == 1  # one edit carrying both changes
        assert votes_shown(fake_discord.default_channel.messages[0])[0] == "👍 42"

        clock.now = OCCURRENCE + dt.timedelta(seconds=310)
        await save_votes(bot.store, with_votes(p1=50))
        assert await bot.engine.live.refresh() == 1
        clock.now = OCCURRENCE + dt.timedelta(seconds=600)
        await _idle(bot)
        assert len(fake_discord.edits) == 1  # 300 s after the last edit, not before
        clock.now = OCCURRENCE + dt.timedelta(seconds=602)
        await until(bot, lambda: len(fake_discord.edits) == 2)
    assert votes_shown(fake_discord.default_channel.messages[0])[0] == "👍 50"


async def until(bot: Engine, done: Callable[[], bool], *, within: float = 30.0) -> None:
    """Until `done()` holds, the worker (and with it the editor) woken every 50 ms."""

    async def check() -> bool:
        return done()

    await bot.eventually(check, within=within)


async def _idle(bot: Engine, rounds: int = 6) -> None:
    """Give the worker and the editor a few wake-ups to do whatever is due."""
    for _ in range(rounds):
        bot.engine.worker.wake()
        await asyncio.sleep(0.05)


async def test_no_edits_outside_the_window_or_for_a_channel_that_turned_them_off(
    database_url: str, fake_discord: FakeDiscord
) -> None:
    clock = FakeClock(OCCURRENCE)
    async with running_engine(
        database_url, clock=clock, **env(fake_discord, live_cards_window_hours=2)
    ) as bot:
        await save_votes(bot.store)
        ref = discord_ref(fake_discord)
        sub = await bot.store.subscriptions.save(ref, SETTINGS)
        await post_digest(bot, sub)
        await bot.engine.live.refresh()
        assert await bot.engine.live_days() == {DAY}

        await bot.store.subscriptions.save(ref, dataclasses.replace(SETTINGS, live_votes=False))
        clock.now += dt.timedelta(minutes=1)
        await save_votes(bot.store, with_votes(p1=60))
        assert await bot.engine.live.refresh() == 0
        assert await bot.engine.live_days() == set()

        await bot.store.subscriptions.save(ref, SETTINGS)  # back on: the counts catch up
        assert await bot.engine.live.refresh() == 1
        await until(bot, lambda: len(fake_discord.edits) == 1)

        clock.now = OCCURRENCE + dt.timedelta(hours=2, seconds=1)
        await save_votes(bot.store, with_votes(p1=70))
        assert await bot.engine.live.refresh() == 0
        assert await bot.engine.live_days() == set()
        await _idle(bot)
    assert len(fake_discord.edits) == 1
    assert votes_shown(fake_discord.default_channel.messages[0])[0] == "👍 60"


async def test_a_deleted_message_is_not_edited_again(
    database_url: str, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.delivery.edits")
    async with running_engine(database_url, **env(fake_discord)) as bot:
        await save_votes(bot.store)
        sub = await bot.store.subscriptions.save(discord_ref(fake_discord), SETTINGS)
        await post_digest(bot, sub)
        await bot.engine.live.refresh()
        fake_discord.default_channel.messages.clear()  # someone deleted the post
        await save_votes(bot.store, with_votes(p1=61))
        assert await bot.engine.live.refresh() == 1
        await until(bot, lambda: len(fake_discord.refused_edits) == 1)
        await _idle(bot)
        await save_votes(bot.store, with_votes(p1=62))
        assert await bot.engine.live.refresh() == 0
        await _idle(bot)
        sub_after = await bot.store.subscriptions.get(discord_ref(fake_discord))
    assert [r.status for r in fake_discord.refused_edits] == [404]
    assert sub_after is not None
    assert not sub_after.paused  # the channel itself is fine
    lines = [r for r in caplog.records if "no more edits" in r.getMessage()]
    assert len(lines) == 1
    assert "the message is gone" in lines[0].getMessage()


async def test_an_edit_whose_answer_was_lost_is_sent_again_harmlessly(
    database_url: str, fake_slack: FakeSlack
) -> None:
    async with running_engine(database_url, **env(slack=fake_slack)) as bot:
        await save_votes(bot.store)
        sub = await bot.store.subscriptions.save(slack_ref(fake_slack), SETTINGS)
        await post_digest(bot, sub)
        await bot.engine.live.refresh()
        fake_slack.lose_answer_next(path="chat.update")
        await save_votes(bot.store, with_votes(p1=63))
        assert await bot.engine.live.refresh() == 1
        await until(bot, lambda: len(fake_slack.edits) == 2, within=30)
        await _idle(bot)
    first, second = fake_slack.edits
    assert first.body == second.body  # the same whole content: no harm done
    assert len(fake_slack.default_channel.messages) == 4
    assert "👍 *Votes* 63" in str(fake_slack.default_channel.messages[1]["blocks"])


async def test_edits_wait_until_the_posts_due_are_out(
    database_url: str, fake_discord: FakeDiscord
) -> None:
    """Twelve new posts, each held by the fake for a while, and an edit due all along:
    the edit goes out once the last post is done, not beside them."""
    async with running_engine(database_url, **env(fake_discord)) as bot:
        await save_votes(bot.store)
        first = await bot.store.subscriptions.save(discord_ref(fake_discord), SETTINGS)
        await post_digest(bot, first)
        await bot.engine.live.refresh()
        others = []
        for n in range(12):
            channel = fake_discord.add_channel(f"later-{n}")
            fake_discord.slow_next(HELD, path=f"/channels/{channel.id}/messages")
            ref = ChannelRef(Platform.DISCORD, str(fake_discord.guild_id), str(channel.id))
            others.append(await bot.store.subscriptions.save(ref, SETTINGS))
        await asyncio.sleep(1.1)  # the first post's edit interval has passed
        await save_votes(bot.store, with_votes(p1=64))
        await bot.engine.planner.plan_slot(others, OCCURRENCE)
        assert await bot.engine.live.refresh() == 1
        await bot.drained()
        await until(bot, lambda: len(fake_discord.edits) == 1)
    posts = [r.at for r in fake_discord.requests_to("/messages", "POST")]
    [edit] = [r.at for r in fake_discord.requests_to("/messages/", "PATCH")]
    assert len(posts) == 13
    assert edit >= max(posts) + HELD  # the last post was answered first


async def test_a_paper_already_on_a_card_gets_no_alert(
    database_url: str, fake_slack: FakeSlack
) -> None:
    """Day 1 left the paper out for too few votes (it is on day 1's watch list); day 2's
    post carried it as a card. Its votes on day 1 then cross the threshold: its card shows
    them, and an alert would be a second card."""
    day2 = DAY + dt.timedelta(days=1)
    quiet = Entry("2503.20001", "Quiet Paper About Agents", 3)
    loud = Entry("2503.20002", "Loud Paper About Agents", 40)
    clock = FakeClock(OCCURRENCE + dt.timedelta(days=1))
    async with running_engine(database_url, clock=clock, **env(slack=fake_slack)) as bot:
        settings = SubscriptionSettings(min_votes=10, keywords=("agents",))
        sub = await bot.store.subscriptions.save(slack_ref(fake_slack), settings)
        for day, entries in ((DAY, (loud, quiet)), (day2, (dataclasses.replace(quiet, votes=15),))):
            markdown = parse_markdown_digest(markdown_digest(day, entries), day=day)
            await bot.store.writer.save(markdown)
            await bot.engine.planner.queue(
                sub.channel,
                await _composed(bot.store, day, settings),
                settings,
                subscription=sub.id,
            )
        await bot.drained()
        risen = (loud, dataclasses.replace(quiet, votes=12))
        await bot.store.writer.save(parse_markdown_digest(markdown_digest(DAY, risen), day=DAY))
        assert await bot.engine.alerts.check() == 0
        rows = await bot.store.deliveries.list()
    assert [r.kind for r in rows] == [DeliveryKind.DIGEST, DeliveryKind.DIGEST]
    cards = [m["text"] for m in fake_slack.default_channel.messages if "Quiet" in m["text"]]
    assert len(cards) == 1


async def _composed(store: Store, day: dt.date, settings: SubscriptionSettings) -> Composed:
    found = await compose(store, day, settings)
    assert found is not None
    return found


async def test_edits_queued_past_their_lease_all_land(
    database_url: str, fake_slack: FakeSlack
) -> None:
    """Slack takes about one chat.update per 1.2 s per workspace; with leases of 2 s (a
    1 s send timeout) most of eight claimed edits wait past theirs in the rate limiter.
    Each renews its lease right before its request, so every edit lands, once, no 429."""
    channels = [fake_slack.add_channel(f"C0LIVE000{n}").id for n in range(4)]
    async with running_engine(
        database_url, **env(slack=fake_slack, http_timeout=1, delivery_lease_seconds=1)
    ) as bot:
        await save_votes(bot.store)
        subs = [
            await bot.store.subscriptions.save(
                ChannelRef(Platform.SLACK, fake_slack.team_id, channel),
                dataclasses.replace(SETTINGS, layout="thread"),
            )
            for channel in channels
        ]
        await post_digest(bot, *subs)
        await bot.engine.live.refresh()
        await asyncio.sleep(1.1)
        await save_votes(bot.store, with_votes(p3=65))
        assert await bot.engine.live.refresh() == 8  # each channel: the header and a reply
        await until(bot, lambda: len(fake_slack.edits) >= 8, within=60)
        await _idle(bot)
    assert len(fake_slack.edits) == 8
    for channel in channels:
        header, *_, third = fake_slack.channels[channel].messages
        assert "· 👍 65" in str(header["blocks"])
        assert "👍 *Votes* 65" in str(third["blocks"])
    assert fake_slack.refused_edits == []
    assert fake_slack.throttled == []


async def test_a_discord_webhook_edits_what_it_posted(
    database_url: str, fake_discord: FakeDiscord
) -> None:
    """A configured Discord webhook edits its own message (its implicit subscription has
    the defaults)."""
    url = fake_discord.add_webhook()
    async with running_engine(database_url, discord_webhook_urls=url, **env()) as bot:
        await save_votes(bot.store)
        [hook] = await bot.store.subscriptions.list(workspace_id=WEBHOOK_WORKSPACE)
        await post_then_change(bot, hook, p1=66)
        await until(bot, lambda: len(fake_discord.edits) == 1)
    [edit] = fake_discord.edits
    assert edit.via == "webhook"
    [message] = fake_discord.default_channel.messages
    assert votes_shown(message)[0] == "👍 66"
    assert fake_discord.refused_edits == []


async def test_a_dry_run_prints_the_edit_on_the_console(tmp_path: Path) -> None:
    console = io.StringIO()
    async with running_engine(f"sqlite:///{tmp_path / 'dry.db'}", console=console, **env()) as dry:
        await save_votes(dry.store, with_votes(p1=66))
        [printed] = await dry.store.subscriptions.list(workspace_id=CONSOLE_WORKSPACE)
        await post_then_change(dry, printed, p1=67)
        await until(dry, lambda: '"edit"' in console.getvalue())
    [line] = [json.loads(x) for x in console.getvalue().splitlines() if '"edit"' in x]
    assert votes_shown(line["body"])[0] == "👍 67"


@pytest.mark.parametrize("through", ["bot", "webhook"])
async def test_a_forum_posts_messages_are_edited_inside_its_thread(
    database_url: str, fake_discord: FakeDiscord, through: str
) -> None:
    """In a Discord forum the post's opening message and the cards after it live in the
    post's thread: each is edited there (the thread has the opening message's id), by the
    bot or by the forum's webhook."""
    forum = fake_discord.add_forum("papers-forum", ("Papers",))
    many = tuple(Entry(f"2503.400{n:02d}", f"Forum Paper Number {n}", 90 - n) for n in range(12))
    settings = dataclasses.replace(SETTINGS, top_n=12, channel_kind=ChannelKind.FORUM)
    extra: dict[str, Any] = {}
    if through == "webhook":
        extra = {"discord_webhook_urls": fake_discord.add_webhook(forum)}
    async with running_engine(database_url, **env(fake_discord), **extra) as bot:
        await save_votes(bot.store, many)
        ref = ChannelRef(Platform.DISCORD, str(fake_discord.guild_id), str(forum.id))
        if through == "webhook":
            [hook] = await bot.store.subscriptions.list(workspace_id=WEBHOOK_WORKSPACE)
            ref = hook.channel
        sub = await bot.store.subscriptions.save(ref, settings)
        await post_digest(bot, sub)
        await bot.engine.live.refresh()
        await asyncio.sleep(1.1)
        first, *middle, last = many
        changed = (
            dataclasses.replace(first, votes=95),
            *middle,
            dataclasses.replace(last, votes=3),
        )
        await save_votes(bot.store, changed)
        assert await bot.engine.live.refresh() == 2  # the opening message and the last one
        await until(bot, lambda: len(fake_discord.edits) == 2)
    [post] = fake_discord.posts_in(forum)
    assert len(post.messages) == 2
    assert votes_shown(post.messages[0])[0] == "👍 95"
    assert votes_shown(post.messages[1])[-1] == "👍 3"
    assert {(edit.channel_id, edit.via) for edit in fake_discord.edits} == {(str(post.id), through)}
    assert fake_discord.refused_edits == []
    assert forum.messages == []


async def test_followed_papers_keep_their_mark_and_place_when_edited(
    database_url: str, fake_discord: FakeDiscord
) -> None:
    """A post carrying papers for a follow (marked, the one below the top N added after
    the rest) is edited as it was posted: the marks stay, even once the follow is gone."""
    now = dt.datetime.now(dt.UTC)
    async with running_engine(database_url, **env(fake_discord)) as bot:
        await save_votes(bot.store)
        sub = await bot.store.subscriptions.save(discord_ref(fake_discord), SETTINGS)
        ada = Follow(FollowKind.AUTHOR, "Ada Example")
        await bot.store.follows.add(sub.id, ada, actor="test", now=now)
        await post_digest(bot, sub)
        await bot.engine.live.refresh()
        await bot.store.follows.remove(sub.id, FollowKind.AUTHOR, ada.key)
        await asyncio.sleep(1.1)
        await save_votes(bot.store, with_votes(p4=70))
        assert await bot.engine.live.refresh() == 1
        await until(bot, lambda: len(fake_discord.edits) == 1)
    [message] = fake_discord.default_channel.messages
    cards = message["embeds"][1:]
    assert [e["title"] for e in cards][-1] == "A Paper Left Off the Cards"  # added, last
    assert votes_shown(message) == ["👍 40", "👍 25", "👍 9", "👍 70"]
    for card in cards:
        assert {"name": "Following", "value": "Ada Example", "inline": True} in card["fields"]


async def test_posts_past_one_page_of_registration_all_get_their_cards(tmp_path: Path) -> None:
    """A fan-out sends more posts than one refresh reads at a time (REGISTER_PAGE, so
    their payloads are never all in memory together): every one of them gets its cards."""
    posts = REGISTER_PAGE + 3
    async with running_engine(f"sqlite:///{tmp_path / 'dry.db'}", console=io.StringIO()) as dry:
        await save_votes(dry.store)
        for n in range(posts):
            channel = ChannelRef(Platform.DISCORD, CONSOLE_WORKSPACE, f"stdout-{n}")
            await dry.store.subscriptions.save(channel, SETTINGS, actor="test")
        subs = [
            sub
            for sub in await dry.store.subscriptions.list(workspace_id=CONSOLE_WORKSPACE)
            if sub.channel.channel_id.startswith("stdout-")
        ]
        assert len(subs) == posts
        await dry.engine.planner.plan_slot(subs, OCCURRENCE)
        await dry.drained()
        await dry.engine.live.refresh()
        found = await live.live_posts(dry.store.db, now=dt.datetime.now(dt.UTC))
    carded = {post.channel for post in found if post.cards}
    assert carded == {sub.channel for sub in subs}
