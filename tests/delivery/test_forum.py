"""A subscription in a Discord forum, through the whole pipeline on both databases: each
day's digest is a new forum post titled with the day and tagged where the forum has such
tags, its cards inside the post's thread; a text channel beside it is posted to as ever;
and a post whose answer was lost is found, not opened twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.delivery.payload import Post
from bot.models import ChannelKind, ChannelRef, Platform
from bot.store.rows import DeliveryState, SubscriptionSettings
from tests.delivery.support import FakeClock, running_engine
from tests.delivery.world import store_digest, synthetic_entries
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_state import FakeChannel

DAY = dt.date(2025, 3, 3)
OCCURRENCE = dt.datetime(2025, 3, 4, 9, 0, tzinfo=dt.UTC)
FORUM = SubscriptionSettings(top_n=12, channel_kind=ChannelKind.FORUM)
TEXT = SubscriptionSettings(top_n=12)


def discord_env(fake: FakeDiscord) -> dict[str, Any]:
    return {"discord_token": fake.token, "discord_api_base": fake.api_base}


def ref(fake: FakeDiscord, channel: FakeChannel) -> ChannelRef:
    return ChannelRef(Platform.DISCORD, str(fake.guild_id), str(channel.id))


def titles(message: dict[str, Any]) -> list[str]:
    return [embed["title"] for embed in message["embeds"]]


def tag_names(forum: FakeChannel, post: FakeChannel) -> list[str]:
    names = {tag["id"]: tag["name"] for tag in forum.available_tags}
    return [names[tag_id] for tag_id in post.applied_tags]


async def test_each_day_is_a_new_forum_post_with_its_cards_inside(
    database_url: str, fake_discord: FakeDiscord
) -> None:
    forum = fake_discord.add_forum("papers-forum", ("Help", "English", "Papers"))
    text = fake_discord.add_channel("papers-text")
    clock = FakeClock(OCCURRENCE + dt.timedelta(minutes=1))
    async with running_engine(database_url, clock=clock, **discord_env(fake_discord)) as bot:
        await store_digest(bot.store, DAY, synthetic_entries(12))
        in_forum = await bot.store.subscriptions.save(ref(fake_discord, forum), FORUM)
        in_text = await bot.store.subscriptions.save(ref(fake_discord, text), TEXT)
        # Planned together: one render per look, and a forum is a look of its own.
        await bot.engine.planner.plan_slot([in_forum, in_text], OCCURRENCE)
        first = await bot.drained()
        [row] = await bot.store.deliveries.list(subscription_id=in_forum.id)
        planned = Post.from_payload(row.payload).messages

        clock.advance(days=1)
        await store_digest(bot.store, DAY + dt.timedelta(days=1), synthetic_entries(4, seed=8))
        await bot.engine.planner.plan_occurrence(in_forum, OCCURRENCE + dt.timedelta(days=1))
        second = await bot.drained()

    assert first[DeliveryState.SENT] == 2
    assert second[DeliveryState.SENT] == 3
    assert len(planned) >= 2, "the day should need more than the opening message"
    assert forum.messages == []
    day_one, day_two = fake_discord.posts_in(forum)
    assert day_one.name == "Hugging Face Daily Papers · 2025-03-03"
    assert day_two.name == "Hugging Face Daily Papers · 2025-03-04"
    assert tag_names(forum, day_one) == tag_names(forum, day_two) == ["Papers", "English"]
    assert [titles(m) for m in day_one.messages] == [
        [e["title"] for e in m.body["embeds"]] for m in planned
    ]
    assert titles(day_one.messages[0])[0] == day_one.name  # the header opens the post
    assert row.platform_message_id == str(day_one.id)
    assert len(day_two.messages) == 1  # four papers fit beside the header

    # The text channel got the same day as plain channel messages, as before.
    assert [titles(m) for m in text.messages] == [titles(m) for m in day_one.messages]
    assert all("message_reference" not in m for m in text.messages)
    assert all(c.parent_id != text.id for c in fake_discord.channels.values())


async def test_a_forum_post_whose_answer_was_lost_is_found_and_not_opened_twice(
    database_url: str, fake_discord: FakeDiscord
) -> None:
    forum = fake_discord.add_forum("papers-forum", ("Papers",))
    fake_discord.lose_answer_next(path="/threads")  # the post is made, the answer dropped
    async with running_engine(database_url, **discord_env(fake_discord)) as bot:
        await store_digest(bot.store, DAY, synthetic_entries(12))
        sub = await bot.store.subscriptions.save(ref(fake_discord, forum), FORUM)
        await bot.engine.planner.plan_occurrence(sub, OCCURRENCE)
        counts = await bot.drained()
        found = bot.metric("papers_bot_reconciled_total", platform="discord", outcome="found")
        [row] = await bot.store.deliveries.list()

    assert counts[DeliveryState.SENT] == 1
    assert found == 1
    assert len(fake_discord.requests_to(f"/channels/{forum.id}/threads", "POST")) == 1
    [post] = fake_discord.posts_in(forum)
    planned = Post.from_payload(row.payload).messages
    assert len(post.messages) == len(planned)
    assert len({tuple(titles(m)) for m in post.messages}) == len(planned)
    assert row.platform_message_id == str(post.id)


async def test_a_forum_post_answered_502_after_it_was_made_is_found_and_not_opened_twice(
    database_url: str, fake_discord: FakeDiscord
) -> None:
    """A proxy's 502 after Discord opened the post: discord.py would send the request again
    by itself (and open a second post); the adapter stops that, and the worker looks the
    post up before trying again."""
    forum = fake_discord.add_forum("papers-forum", ("Papers",))
    fake_discord.fail_after_next(502, path="/threads")
    clock = FakeClock()
    async with running_engine(database_url, clock=clock, **discord_env(fake_discord)) as bot:
        await store_digest(bot.store, DAY, synthetic_entries(12))
        sub = await bot.store.subscriptions.save(ref(fake_discord, forum), FORUM)
        await bot.engine.planner.plan_occurrence(sub, OCCURRENCE)

        async def answered() -> bool:
            [row] = await bot.store.deliveries.list()
            return row.state in (DeliveryState.FAILED, DeliveryState.SENT)

        await bot.eventually(answered)
        clock.advance(minutes=10)  # past the backoff and the look-up's settling time
        counts = await bot.drained()
        found = bot.metric("papers_bot_reconciled_total", platform="discord", outcome="found")

    assert counts[DeliveryState.SENT] == 1
    assert found == 1
    assert len(fake_discord.requests_to(f"/channels/{forum.id}/threads", "POST")) == 1
    [post] = fake_discord.posts_in(forum)
    assert len(post.messages) > 1  # the cards went into the one post
