"""Every command through the real discord.py client on the fake gateway: INTERACTION_CREATE
in, the interaction callback (or deferred follow-up) out, and the store checked after."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_commands import DiscordCommands
from bot.adapters.discord_gateway import EveryShard
from bot.commands.router import Commands
from bot.models import ChannelRef, Platform
from bot.store import Store
from bot.store.rows import DeliveryState, SubscriptionSettings
from tests.commands.discord_interactions import (
    AUTOCOMPLETE_RESULT,
    NONE,
    VIEW_SEND_EMBED,
    Answer,
    answer_of,
    inject,
)
from tests.commands.samples import HOSTILE_TITLE, MANAGEMENT
from tests.delivery.support import Engine
from tests.fakes.discord import FakeDiscord
from tests.render.validators import discord_message_violations


def channel_of(fake: FakeDiscord) -> ChannelRef:
    return ChannelRef(Platform.DISCORD, str(fake.guild_id), str(fake.default_channel.id))


async def run(
    fake: FakeDiscord, name: str, options: dict[str, Any] | None = None, **kw: Any
) -> Answer:
    return await answer_of(fake, await inject(fake, name, options, **kw))


def assert_safe(answer: Answer) -> None:
    """What the user sees can never ping anyone, whatever they typed."""
    body = {"content": answer.content, "embeds": answer.embeds, "allowed_mentions": {"parse": []}}
    assert discord_message_violations(body) == []


async def test_paper_shows_the_best_match_as_a_card_privately(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter
) -> None:
    answer = await run(fake_discord, "paper", {"query": "diffusion"})
    assert answer.callback_type == 4
    assert answer.ephemeral
    [card] = answer.embeds
    assert card["title"] == "Video Diffusion with Temporal Attention"
    assert card["url"] == "https://huggingface.co/papers/2405.01002"
    assert "Other matches" in answer.text
    assert "Diffusion Transformers at Scale" in answer.text
    assert_safe(answer)


@pytest.mark.parametrize(
    "query",
    [
        "2405.00001",
        "https://arxiv.org/abs/2405.00001v2",
        "https://huggingface.co/papers/2405.00001",
    ],
)
async def test_paper_by_id_or_url(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, query: str
) -> None:
    answer = await run(fake_discord, "paper", {"query": query, "share": True})
    assert not answer.ephemeral
    assert answer.embeds[0]["title"] == "Sparse Mixtures of Gated Experts for Retrieval"


async def test_paper_without_a_match_says_so(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter
) -> None:
    answer = await run(fake_discord, "paper", {"query": "' OR 1=1; DROP TABLE papers; --"})
    assert answer.ephemeral
    assert answer.embeds == []
    assert answer.text.startswith("⚠️ No paper in the archive matches")


async def test_a_10kb_query_gets_a_clear_answer(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter
) -> None:
    answer = await run(fake_discord, "paper", {"query": "x" * 10_240})
    assert answer.ephemeral
    assert "query: too long (10240 characters; at most 300)" in answer.text
    assert len(answer.text) < 200


async def test_autocomplete_offers_matching_titles(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter
) -> None:
    answer = await run(fake_discord, "paper", {"query": "agents"}, focused="query")
    assert answer.callback_type == AUTOCOMPLETE_RESULT
    titles = [choice["name"] for choice in answer.choices]
    assert "Large Language Model Agents for Code Repair" in titles
    assert "Agents That Plan With Language Models" in titles
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in answer.choices)
    picked = next(c for c in answer.choices if c["name"].startswith("Large"))
    assert picked["value"] == "2405.01001"


async def test_autocomplete_on_an_empty_box_offers_the_latest_day(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter
) -> None:
    answer = await run(fake_discord, "paper", {"query": ""}, focused="query")
    assert [c["value"] for c in answer.choices] == ["2405.01001", "2405.01002", "2405.01003"]


async def test_papers_lists_the_latest_day_by_votes(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter
) -> None:
    answer = await run(fake_discord, "papers")
    assert answer.ephemeral
    lines = answer.text.splitlines()
    assert "Papers of 2024-05-07" in lines[0]
    assert [line.split(")")[0] for line in lines[1:]] == ["1", "2", "3"]
    assert "Large Language Model Agents for Code Repair" in lines[1]
    assert "👍 120" in lines[1]
    assert_safe(answer)


async def test_papers_of_a_day_with_filters(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter
) -> None:
    answer = await run(fake_discord, "papers", {"date": "2024-05-06", "min_votes": 10, "top": 1})
    lines = answer.text.splitlines()
    assert "at least 10 votes" in lines[0]
    assert "Sparse Mixtures of Gated Experts" in lines[1]
    assert lines[-1] == "…and 1 more"
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"date": "06/05/2024"}, "date: expected YYYY-MM-DD"),
        ({"date": "2024-05-01"}, "No digest for 2024-05-01. The latest is 2024-05-07."),
        ({"min_votes": -1}, "min_votes: must be between 0 and 100000, got -1"),
        ({"min_votes": 100_001}, "min_votes: must be between 0 and 100000"),
        ({"top": 0}, "top: must be between 1 and 50, got 0"),
        ({"top": 51}, "top: must be between 1 and 50, got 51"),
    ],
)
async def test_papers_validation(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, options: dict[str, Any], message: str
) -> None:
    answer = await run(fake_discord, "papers", {**options, "share": True})
    assert message in answer.text
    assert answer.ephemeral  # asked to share, but a failure is only shown to the asker
    assert answer.text.startswith("⚠️")


async def test_subscription_round_trip_is_visible_in_the_store(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store
) -> None:
    channel = channel_of(fake_discord)
    answer = await run(
        fake_discord,
        "subscribe",
        {
            "min_votes": 10,
            "top": 5,
            "keywords": "agents, 언어 모델",
            "time": "8:30",
            "timezone": "Asia/Seoul",
            "source": "hf",
        },
    )
    assert answer.ephemeral
    assert "Subscribed this channel." in answer.text
    assert "Next post:** 2024-05-08 08:30 KST (in 11 h 30 min)" in answer.text
    saved = await store.subscriptions.get(channel)
    assert saved is not None
    assert saved.settings.min_votes == 10
    assert saved.settings.top_n == 5
    assert saved.settings.keywords == ("agents", "언어 모델")
    assert (saved.settings.post_time, saved.settings.timezone) == ("08:30", "Asia/Seoul")
    assert [s.value for s in saved.settings.sources] == ["hf"]
    assert saved.created_by is not None
    assert saved.created_by.isdigit()

    answer = await run(fake_discord, "subscribe", {"top": 3})
    assert "Subscription updated." in answer.text
    updated = await store.subscriptions.get(channel)
    assert updated is not None
    assert updated.settings.top_n == 3
    assert updated.settings.keywords == ("agents", "언어 모델")  # untouched options kept

    answer = await run(fake_discord, "pause", {"reason": "holidays"})
    assert "Paused" in answer.text
    paused = await store.subscriptions.get(channel)
    assert paused is not None
    assert paused.paused
    assert paused.paused_reason == "holidays"
    shown = await run(fake_discord, "subscription")
    assert "paused since" in shown.text
    assert "holidays" in shown.text
    assert "Last post:** none yet" in shown.text

    answer = await run(fake_discord, "resume")
    assert "Resumed." in answer.text
    resumed = await store.subscriptions.get(channel)
    assert resumed is not None
    assert not resumed.paused

    answer = await run(fake_discord, "unsubscribe")
    assert "Unsubscribed" in answer.text
    assert await store.subscriptions.get(channel) is None
    answer = await run(fake_discord, "subscription")
    assert "no subscription" in answer.text


async def test_subscribe_saves_the_layout_and_empty_day_policy(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store
) -> None:
    channel = channel_of(fake_discord)
    answer = await run(fake_discord, "subscribe", {"layout": "thread", "no_papers": "note"})
    assert "Subscribed this channel." in answer.text
    assert "Slack layout:** thread" in answer.text
    assert "Empty days:** note (a short message)" in answer.text
    saved = await store.subscriptions.get(channel)
    assert saved is not None
    assert (saved.settings.layout, saved.settings.no_papers) == ("thread", "note")

    await run(fake_discord, "subscribe", {"no_papers": "skip"})
    shown = await run(fake_discord, "subscription")
    assert "Slack layout:** thread" in shown.text  # kept: only no_papers was given
    assert "Empty days:** skip (post nothing)" in shown.text
    updated = await store.subscriptions.get(channel)
    assert updated is not None
    assert (updated.settings.layout, updated.settings.no_papers) == ("thread", "skip")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_votes": -5}, "min_votes: must be between 0 and 100000"),
        ({"min_votes": 100_001}, "min_votes: must be between 0 and 100000"),
        ({"top": 0}, "top: must be between 1 and 50"),
        ({"top": 99}, "top: must be between 1 and 50"),
        ({"time": "25:00"}, "time: expected a 24-hour time as HH:MM"),
        ({"time": "9am"}, "time: expected a 24-hour time as HH:MM"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone: unknown IANA time zone"),
        ({"timezone": "europe/berlin"}, "did you mean Europe/Berlin?"),
        ({"keywords": "a" * 41}, "keywords: 'aaaa"),
        ({"keywords": ",".join("k" * 3 + str(i) for i in range(11))}, "at most 10 keywords"),
        ({"keywords": "@everyone"}, "keywords: only letters, digits"),
        ({"source": "rss"}, "source: unknown source 'rss'"),
        ({"layout": "grid"}, "layout: unknown layout 'grid'"),
        ({"top": 3, "no_papers": "sometimes"}, "no_papers: unknown choice 'sometimes'"),
    ],
)
async def test_subscribe_validation_changes_nothing(
    fake_discord: FakeDiscord,
    discord_bot: DiscordBotAdapter,
    store: Store,
    options: dict[str, Any],
    message: str,
) -> None:
    channel = channel_of(fake_discord)
    before = await store.subscriptions.save(channel, SubscriptionSettings(top_n=7), actor="a")
    answer = await run(fake_discord, "subscribe", options)
    assert answer.ephemeral
    assert message in answer.text
    assert answer.text.startswith("⚠️")
    assert await store.subscriptions.get(channel) == before
    assert_safe(answer)


@pytest.mark.parametrize("name", MANAGEMENT)
async def test_management_needs_manage_channels(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store, name: str
) -> None:
    channel = channel_of(fake_discord)
    before = await store.subscriptions.save(channel, SubscriptionSettings(), actor="a")
    answer = await run(fake_discord, name, permissions=NONE)
    assert answer.ephemeral
    assert answer.text.startswith("🚫")
    assert f"/{name} needs the Manage Channels permission" in answer.text
    assert await store.subscriptions.get(channel) == before
    assert fake_discord.default_channel.messages == []


@pytest.mark.parametrize("name", MANAGEMENT)
async def test_management_refused_in_a_dm(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store, name: str
) -> None:
    answer = await run(fake_discord, name, in_dm=True)
    assert answer.ephemeral
    assert "works only in a channel, not in a direct message" in answer.text
    assert await store.subscriptions.list() == []


async def test_lookups_work_in_a_dm_and_for_everyone(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter
) -> None:
    in_dm = await run(fake_discord, "paper", {"query": "tokenizers"}, in_dm=True)
    assert in_dm.embeds[0]["title"] == "A Study of Tokenizers"
    no_rights = await run(fake_discord, "papers", permissions=NONE)
    assert "Papers of 2024-05-07" in no_rights.text


@pytest.mark.parametrize("name", ["subscribe", "resume", "digest"])
async def test_refused_where_the_bot_cannot_post(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store, name: str
) -> None:
    channel = channel_of(fake_discord)
    answer = await run(fake_discord, name, app_permissions=str(1 << 10))
    assert "I can't post in this channel (missing Send Messages, Embed Links)" in answer.text
    assert await store.subscriptions.get(channel) is None
    ok = await run(fake_discord, "subscribe", app_permissions=VIEW_SEND_EMBED)
    assert "Subscribed this channel." in ok.text


async def test_digest_posts_the_latest_digest_as_the_subscription_renders_it(
    fake_discord: FakeDiscord,
    discord_bot: DiscordBotAdapter,
    discord_delivery: Engine,
    store: Store,
) -> None:
    settings = SubscriptionSettings(min_votes=50, top_n=1)
    await store.subscriptions.save(channel_of(fake_discord), settings, actor="a")
    answer = await run(fake_discord, "digest")
    assert answer.deferred
    assert answer.ephemeral
    assert "Posting the digest of 2024-05-07 here with this channel's settings" in answer.text
    assert "1 of 3 papers in 1 message(s)" in answer.text
    assert (await discord_delivery.drained())[DeliveryState.SENT] == 1
    [message] = fake_discord.default_channel.messages
    titles = [embed["title"] for embed in message["embeds"]]
    assert titles == [
        "Hugging Face Daily Papers · 2024-05-07",
        "Large Language Model Agents for Code Repair",
    ]


async def test_digest_with_keywords_and_hostile_titles_stays_safe(
    fake_discord: FakeDiscord,
    discord_bot: DiscordBotAdapter,
    discord_delivery: Engine,
    store: Store,
) -> None:
    await store.subscriptions.save(
        channel_of(fake_discord), SubscriptionSettings(keywords=("everyone",)), actor="a"
    )
    answer = await run(fake_discord, "digest")
    assert "1 of 3 papers" in answer.text
    await discord_delivery.drained()
    [message] = fake_discord.default_channel.messages
    assert message["mention_everyone"] is False
    assert message["mentions"] == []
    assert "everyone" in message["embeds"][1]["title"]
    assert message["embeds"][1]["title"] != HOSTILE_TITLE  # escaped, not verbatim


async def test_digest_into_a_channel_that_refuses_the_bot(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, discord_delivery: Engine
) -> None:
    fake_discord.default_channel.state = "forbidden"
    await run(fake_discord, "digest")
    counts = await discord_delivery.drained()
    assert counts[DeliveryState.DEAD] == 1  # no subscription to pause: dead-lettered
    assert fake_discord.default_channel.messages == []
    again = await run(fake_discord, "digest")
    assert "The digest of 2024-05-07 could not be posted (the bot cannot post there" in again.text
    assert "it is not posted twice" in again.text
    assert "Traceback" not in again.text


@pytest.mark.parametrize(
    "keywords",
    [
        "@everyone, @here",
        "<@123456789012345678>",
        "<@&42> <#99>",
        "'; DELETE FROM subscriptions; --",
        "**bold** __u__ ~~s~~ ||spoiler||",
        "k" * 10_240,
        "\u202e\u200d\u0301 evil",
        "😀\u200d🔥, " * 20,
    ],
)
async def test_hostile_keywords_are_refused_and_change_nothing(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store, keywords: str
) -> None:
    answer = await run(fake_discord, "subscribe", {"keywords": keywords})
    assert answer.text.startswith("⚠️ keywords:")
    assert len(answer.text) < 400
    assert await store.subscriptions.list() == []
    assert await store.papers.count() == 7
    assert_safe(answer)


async def test_hostile_pause_reason_is_stored_as_text_and_shown_inert(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store
) -> None:
    await store.subscriptions.save(channel_of(fake_discord), SubscriptionSettings(), actor="a")
    reason = "@everyone <@123456789012345678> [x](javascript:alert(1)) 😀"
    await run(fake_discord, "pause", {"reason": reason})
    saved = await store.subscriptions.get(channel_of(fake_discord))
    assert saved is not None
    assert saved.paused_reason == reason
    shown = await run(fake_discord, "subscription")
    assert_safe(shown)
    assert "[x](javascript:alert(1)) 😀" in shown.text  # shown literally, not as a link


async def test_registered_definitions_carry_the_permission_rules(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter
) -> None:
    await discord_bot.register_commands()
    registered = {c["name"]: c for c in fake_discord.commands["global"]}
    assert sorted(registered) == sorted(["paper", "papers", *MANAGEMENT])
    for name in MANAGEMENT:
        assert str(registered[name]["default_member_permissions"]) == "16"
        assert registered[name]["contexts"] == [0]
    for name in ("paper", "papers"):
        assert registered[name]["default_member_permissions"] is None
    query = registered["paper"]["options"][0]
    assert (query["name"], query["autocomplete"], query["max_length"]) == ("query", True, 300)


async def test_slow_work_is_deferred_then_followed_up(commands: Commands) -> None:
    """With no time to answer directly, the bot defers (type 5) and follows up."""
    fake = FakeDiscord()
    await fake.start()
    adapter = DiscordBotAdapter(
        token=fake.token,
        api_base=fake.api_base,
        gateway_url=fake.gateway_url,
        timeout=5.0,
        shards=EveryShard(),
    )
    DiscordCommands(adapter, commands, defer_after=0.0).install()
    try:
        await adapter.start()
        await asyncio.wait_for(fake.gateway.identified.wait(), 10)
        answer = await run(fake, "papers", {"top": 2, "share": True})
    finally:
        await adapter.stop()
        await fake.stop()
    assert answer.deferred
    assert not answer.ephemeral
    assert "Papers of 2024-05-07" in answer.text
