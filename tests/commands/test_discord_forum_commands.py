"""/subscribe in Discord forums and threads, through the real discord.py client on the
fake gateway: the interaction carries the channel's type and the bot's permissions there
(`app_permissions`, which the fake derives from the channel), and the bot refuses, in one
line naming what is missing, a place where it could not post; a forum it can post in is
subscribed as a forum."""

from __future__ import annotations

import pytest

from bot.adapters.discord_bot import DiscordBotAdapter
from bot.models import ChannelKind, ChannelRef, Platform
from bot.store import Store
from tests.commands.discord_interactions import answer_of, inject
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_forum import (
    EMBED_LINKS,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
)
from tests.fakes.discord_state import PUBLIC_THREAD, FakeChannel

TEXT_NEEDS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS
FORUM_NEEDS = TEXT_NEEDS | SEND_MESSAGES_IN_THREADS


def ref(fake: FakeDiscord, channel: FakeChannel) -> ChannelRef:
    return ChannelRef(Platform.DISCORD, str(fake.guild_id), str(channel.id))


async def subscribe_in(fake: FakeDiscord, channel: FakeChannel) -> str:
    interaction = await inject(fake, "subscribe", channel_id=channel.id, app_permissions=None)
    return (await answer_of(fake, interaction)).text


@pytest.mark.parametrize("media", [False, True], ids=["forum", "media"])
async def test_a_forum_where_the_bot_cannot_write_in_posts_is_refused_and_nothing_stored(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store, media: bool
) -> None:
    forum = fake_discord.add_forum("papers-forum", ("Papers",), media=media)
    forum.bot_permissions = TEXT_NEEDS  # may open posts, but not write in them
    text = await subscribe_in(fake_discord, forum)
    assert text == (
        "🚫 I can't post in this forum (missing Send Messages in Threads). "
        "Give me access here, or run the command in a channel where I can post."
    )
    assert await store.subscriptions.get(ref(fake_discord, forum)) is None

    forum.bot_permissions = VIEW_CHANNEL
    text = await subscribe_in(fake_discord, forum)
    assert "(missing Send Messages, Send Messages in Threads, Embed Links)" in text
    assert await store.subscriptions.get(ref(fake_discord, forum)) is None


@pytest.fixture
def forum(fake_discord: FakeDiscord) -> FakeChannel:
    """A forum made before the bot connects, so the gateway's guild lists it (tests take
    it before `discord_bot`)."""
    return fake_discord.add_forum("papers-forum", ("Papers",))


def post_in(fake: FakeDiscord, forum: FakeChannel) -> FakeChannel:
    """A post someone opened in the forum: where its members type commands."""
    member = {"id": str(fake.ids.next()), "username": "reader", "bot": False}
    body = {"content": "Where do the papers go?", "allowed_mentions": {"parse": []}}
    post, _ = fake.forums.open_post(forum, "Questions", body, member, tags=[])
    return post


async def test_a_command_typed_in_a_forum_post_is_about_the_forum(
    forum: FakeChannel, fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store
) -> None:
    post = post_in(fake_discord, forum)
    forum.bot_permissions = TEXT_NEEDS
    text = await subscribe_in(fake_discord, post)
    assert "I can't post in this forum (missing Send Messages in Threads)" in text
    assert await store.subscriptions.list() == []

    forum.bot_permissions = FORUM_NEEDS
    text = await subscribe_in(fake_discord, post)
    assert text.startswith("**Subscribed this forum.**")
    [stored] = await store.subscriptions.list()
    assert stored.channel == ref(fake_discord, forum)  # the forum, not the post
    assert stored.settings.channel_kind is ChannelKind.FORUM


async def test_a_forum_the_bot_can_post_in_is_subscribed_as_a_forum(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store
) -> None:
    forum = fake_discord.add_forum("papers-forum", ("Papers",))
    forum.bot_permissions = FORUM_NEEDS
    text = await subscribe_in(fake_discord, forum)
    assert text.startswith("**Subscribed this forum.**")
    assert "**Forum:** each post is a new forum post, its papers inside" in text
    stored = await store.subscriptions.get(ref(fake_discord, forum))
    assert stored is not None
    assert stored.settings.channel_kind is ChannelKind.FORUM


async def test_a_thread_needs_send_messages_in_threads_not_send_messages(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store
) -> None:
    parent = fake_discord.add_channel("talk")
    thread = fake_discord.add_channel("a thread")
    thread.type, thread.parent_id, thread.owner_id = PUBLIC_THREAD, parent.id, 1
    parent.bot_permissions = TEXT_NEEDS
    text = await subscribe_in(fake_discord, thread)
    assert "I can't post in this thread (missing Send Messages in Threads)" in text
    assert await store.subscriptions.get(ref(fake_discord, thread)) is None

    parent.bot_permissions = VIEW_CHANNEL | SEND_MESSAGES_IN_THREADS | EMBED_LINKS
    text = await subscribe_in(fake_discord, thread)
    assert text.startswith("**Subscribed this thread.**")
    stored = await store.subscriptions.get(ref(fake_discord, thread))
    assert stored is not None
    assert stored.settings.channel_kind is ChannelKind.THREAD
    assert "Forum:**" not in text


async def test_a_text_channel_is_subscribed_as_before(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store
) -> None:
    channel = fake_discord.add_channel("papers-text")
    channel.bot_permissions = TEXT_NEEDS  # no Send Messages in Threads: not needed here
    text = await subscribe_in(fake_discord, channel)
    assert text.startswith("**Subscribed this channel.**")
    stored = await store.subscriptions.get(ref(fake_discord, channel))
    assert stored is not None
    assert stored.settings.channel_kind is ChannelKind.TEXT
