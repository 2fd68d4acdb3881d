"""Forum channels on the fake Discord: the real discord.py client opens a post there, and
our adapters open a digest's post (title, tags), put its cards in the post's thread, find a
post whose answer was lost, and are refused what Discord refuses."""

from __future__ import annotations

import dataclasses
import datetime as dt

import aiohttp
import discord
import pytest

from bot.adapters.base import Receipt, RejectedPayloadError, TargetGoneError, TransientError
from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_webhook import DiscordWebhookAdapter
from bot.render.discord import render_discord_digest
from bot.render.forum import THREAD_NAME
from bot.render.message import RenderedMessage
from bot.render.options import RenderOptions
from tests.adapters.support import discord_message
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_forum import SEND_MESSAGES, SEND_MESSAGES_IN_THREADS, VIEW_CHANNEL
from tests.fakes.discord_state import REQUIRE_TAG, FakeChannel
from tests.render.samples import korean_digest

TAGS = ("Daily Papers", "Korean", "LLM", "Off-topic", "announcements")
FORUM_OPTIONS = RenderOptions(discord_forum=True, forum_tags=("llm", "agents"))


def forum_digest(options: RenderOptions = FORUM_OPTIONS) -> list[RenderedMessage]:
    """A Korean day as a forum post: the opening message (header and first paper) and one
    more card."""
    digest = korean_digest()
    return render_discord_digest(digest, digest.papers, options=options)


def tag_names(forum: FakeChannel, ids: list[str]) -> list[str]:
    names = {tag["id"]: tag["name"] for tag in forum.available_tags}
    return [names[tag_id] for tag_id in ids]


async def post_digest(
    adapter: DiscordBotAdapter, forum: FakeChannel, messages: list[RenderedMessage]
) -> list[Receipt]:
    """As the delivery worker sends a post: thread replies under the first message."""
    opening = await adapter.send(str(forum.id), messages[0], idempotency_key="post.0")
    receipts = [opening]
    for index, message in enumerate(messages[1:], start=1):
        reply_to = opening if message.in_thread else None
        receipts.append(
            await adapter.send(
                str(forum.id), message, reply_to=reply_to, idempotency_key=f"post.{index}"
            )
        )
    return receipts


async def test_discord_py_reads_a_forum_and_opens_a_tagged_post_on_the_fake(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    forum = fake_discord.add_forum("papers-forum", TAGS)
    channel = await discord_rest.client.fetch_channel(forum.id)
    assert isinstance(channel, discord.ForumChannel)
    assert channel.type is discord.ChannelType.forum
    assert [tag.name for tag in channel.available_tags] == list(TAGS)

    tag = channel.get_tag(int(forum.available_tags[2]["id"]))
    assert tag is not None
    created = await channel.create_thread(
        name="A post", content="first words", applied_tags=[tag], auto_archive_duration=4320
    )
    [post] = fake_discord.posts_in(forum)
    assert created.thread.id == post.id == created.message.id
    assert created.thread.parent_id == forum.id
    assert created.thread.owner_id == discord_rest.client.user.id  # type: ignore[union-attr]
    assert created.thread.name == "A post"
    assert tag_names(forum, post.applied_tags) == ["LLM"]
    assert post.auto_archive_duration == 4320
    assert created.message.content == "first words"
    assert [m["content"] for m in post.messages] == ["first words"]
    assert forum.messages == []

    await created.thread.send("inside")
    assert [m["content"] for m in post.messages] == ["first words", "inside"]


async def test_a_message_straight_into_a_forum_is_refused(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    forum = fake_discord.add_forum("papers-forum")
    with pytest.raises(RejectedPayloadError) as caught:
        await discord_rest.send(str(forum.id), discord_message())
    assert caught.value.status == 400
    assert "50008" in str(caught.value)
    assert fake_discord.posts_in(forum) == []


async def test_a_digest_opens_a_post_titled_with_the_day_and_its_cards_go_inside(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    forum = fake_discord.add_forum("papers-forum", TAGS, moderated=("announcements",))
    messages = forum_digest()
    receipts = await post_digest(discord_rest, forum, messages)

    [post] = fake_discord.posts_in(forum)
    assert post.name == "Hugging Face 데일리 페이퍼 · 2024-03-14"
    # Case-insensitive, in the post's order of preference; no match for "agents".
    assert tag_names(forum, post.applied_tags) == ["Daily Papers", "Korean", "LLM"]
    assert post.auto_archive_duration == 10080
    assert [m["embeds"] for m in post.messages] == [
        [dict(e, type="rich") for e in m.body["embeds"]] for m in messages
    ]
    assert post.messages[0]["id"] == str(post.id)
    assert [r.message_id for r in receipts] == [m["id"] for m in post.messages]
    assert forum.messages == []
    [opening] = fake_discord.requests_to(f"/channels/{forum.id}/threads", "POST")
    assert "nonce" not in opening.json()["message"]


async def test_no_tag_is_applied_when_none_matches_or_the_forum_has_none(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    plain = fake_discord.add_forum("plain")
    other = fake_discord.add_forum("other", ("Off-topic", "Help"))
    for forum in (plain, other):
        await post_digest(discord_rest, forum, forum_digest())
        [post] = fake_discord.posts_in(forum)
        assert post.applied_tags == []
        [opening] = fake_discord.requests_to(f"/channels/{forum.id}/threads", "POST")
        assert "applied_tags" not in opening.json()


async def test_at_most_five_tags_and_never_a_moderated_one(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    many = ("papers", "daily papers", "ko", "korean", "한국어", "llm", "agents")
    forum = fake_discord.add_forum("many", many, moderated=("papers",))
    await post_digest(discord_rest, forum, forum_digest())
    [post] = fake_discord.posts_in(forum)
    assert tag_names(forum, post.applied_tags) == ["daily papers", "ko", "korean", "한국어", "llm"]


async def test_a_forum_that_requires_a_tag_refuses_a_post_without_one(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    forum = fake_discord.add_forum("strict", ("Help",), flags=REQUIRE_TAG)
    with pytest.raises(RejectedPayloadError) as caught:
        await discord_rest.send(str(forum.id), forum_digest()[0])
    assert "40067" in str(caught.value)


async def test_without_permission_to_post_the_forum_is_target_gone(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    forum = fake_discord.add_forum("read-only")
    forum.bot_permissions = VIEW_CHANNEL
    with pytest.raises(TargetGoneError) as caught:
        await discord_rest.send(str(forum.id), forum_digest()[0])
    assert caught.value.status == 403
    assert "50013" in str(caught.value)

    forum.bot_permissions = VIEW_CHANNEL | SEND_MESSAGES  # may open posts, not write in them
    opening, card = forum_digest()
    receipt = await discord_rest.send(str(forum.id), opening)
    with pytest.raises(TargetGoneError):
        await discord_rest.send(str(forum.id), card, reply_to=receipt)


async def test_a_post_whose_answer_was_lost_is_found_active_or_archived(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    forum = fake_discord.add_forum("papers-forum", TAGS)
    opening = forum_digest()[0]
    since = dt.datetime.now(dt.UTC)
    fake_discord.lose_answer_next(path="/threads")
    with pytest.raises(TransientError):  # the post is made, the connection dropped
        await discord_rest.send(str(forum.id), opening)
    [post] = fake_discord.posts_in(forum)

    async def look() -> Receipt | None:
        return await discord_rest.find_sent(
            str(forum.id), opening, "post.0", since=since, now=since + dt.timedelta(minutes=10)
        )

    found = await look()
    assert found is not None
    assert found.message_id == str(post.id)
    post.archived = True  # a moderator closed it meanwhile
    found = await look()
    assert found is not None
    assert found.message_id == str(post.id)
    assert len(fake_discord.posts_in(forum)) == 1


async def test_without_read_message_history_no_closed_post_is_found_and_nothing_fails(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    forum = fake_discord.add_forum("papers-forum")
    forum.bot_permissions = VIEW_CHANNEL | SEND_MESSAGES | SEND_MESSAGES_IN_THREADS
    now = dt.datetime.now(dt.UTC)
    found = await discord_rest.find_sent(
        str(forum.id), forum_digest()[0], "post.0", since=now, now=now
    )
    assert found is None
    [listing] = fake_discord.requests_to("/threads/archived/public", "GET")
    assert listing.path == f"/api/v10/channels/{forum.id}/threads/archived/public"


async def test_a_post_is_not_mistaken_for_another_of_the_same_title(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    forum = fake_discord.add_forum("papers-forum")
    opening = forum_digest()[0]
    await discord_rest.send(str(forum.id), opening)  # an earlier day's attempt
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    found = await discord_rest.find_sent(
        str(forum.id), opening, "post.0", since=later, now=later + dt.timedelta(minutes=10)
    )
    assert found is None
    renamed = dataclasses.replace(opening, meta={**opening.meta, THREAD_NAME: "Another day"})
    found = await discord_rest.find_sent(
        str(forum.id), renamed, "post.0", since=later - dt.timedelta(minutes=10), now=later
    )
    assert found is None


async def test_a_webhook_of_a_forum_opens_a_post_and_writes_inside_it(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    forum = fake_discord.add_forum("papers-forum", TAGS)
    url = fake_discord.add_webhook(forum)
    adapter = DiscordWebhookAdapter(session)
    opening, card = forum_digest()
    receipt = await adapter.send(url, opening)
    await adapter.send(url, card, reply_to=receipt)

    [post] = fake_discord.posts_in(forum)
    assert post.name == opening.meta[THREAD_NAME]
    assert receipt.message_id == receipt.channel_id == str(post.id)
    assert len(post.messages) == 2
    assert forum.messages == []

    with pytest.raises(RejectedPayloadError) as caught:  # a plain message: no post to go in
        await adapter.send(url, discord_message())
    assert "220001" in str(caught.value)
