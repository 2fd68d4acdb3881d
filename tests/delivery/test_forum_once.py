"""`/digest` in a Discord forum, through `papers-bot run` as a real process: the post is
opened in the forum, and the bot is SIGKILLed while that request is on the wire (the fake
holds it, then makes the post: it landed, but the bot never heard). The restarted bot finds
the post among the forum's threads and finishes it: one post, each card once, inside it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.models import ChannelRef, Platform
from bot.store import open_store
from bot.store.rows import DeliveryState
from tests.app.process import BotProcess
from tests.commands.discord_interactions import answer_of, inject
from tests.delivery.test_digest_once import DAY, MANAGER, arrange, run_env, started
from tests.delivery.world import store_digest, synthetic_entries
from tests.fakes.discord import FakeDiscord
from tests.fakes.source import FakeSource

HELD = 6.0
"""How long the fake holds the request opening the post before making it."""

pytestmark = pytest.mark.timeout(180)


async def rows(database_url: str, channel: ChannelRef) -> list[DeliveryState]:
    async with open_store(database_url, migrate=False) as store:
        return [r.state for r in await store.deliveries.list(channel=channel)]


async def test_a_forum_post_killed_mid_send_is_opened_once_after_restart(
    tmp_path: Path, fake_source: FakeSource, fake_discord: FakeDiscord
) -> None:
    data_dir = tmp_path / "data"
    url = f"sqlite:///{data_dir / 'papers-bot.db'}"
    await arrange(url, fake_discord)  # the text channel's subscription
    async with open_store(url) as store:  # a day of ten papers: more than one message
        await store_digest(store, DAY, synthetic_entries(10))
    forum = fake_discord.add_forum("papers-forum", ("Papers",))
    channel = ChannelRef(Platform.DISCORD, str(fake_discord.guild_id), str(forum.id))
    env = run_env(data_dir, fake_source, fake_discord)
    opened = f"/channels/{forum.id}/threads"
    bots: list[BotProcess] = []
    try:
        first = await started(env, tmp_path, bots)
        await asyncio.wait_for(fake_discord.gateway.identified.wait(), 30)
        fake_discord.slow_next(HELD, path=opened)
        interaction = await inject(fake_discord, "digest", permissions=MANAGER, channel_id=forum.id)
        answer = await answer_of(fake_discord, interaction)
        assert "Posting the digest of 2025-03-03 here" in answer.text, answer.text
        await fake_discord.wait_until(
            lambda: len(fake_discord.requests_to(opened, "POST")) == 1, within=30
        )
        await first.kill()  # SIGKILL while the request opening the post is held
        await fake_discord.wait_until(
            lambda: len(fake_discord.posts_in(forum)) == 1, within=HELD + 10
        )
        assert await rows(url, channel) == [DeliveryState.IN_FLIGHT]

        second = await started(env, tmp_path, bots)
        for _ in range(600):  # the dead owner's send is given time to land, then looked up
            if await rows(url, channel) == [DeliveryState.SENT]:
                break
            await asyncio.sleep(0.1)
        assert await rows(url, channel) == [DeliveryState.SENT]
        assert await second.stop() == 0
    finally:
        for bot in bots:
            await bot.kill()

    assert len(fake_discord.requests_to(opened, "POST")) == 1
    [post] = fake_discord.posts_in(forum)
    assert post.name == "Hugging Face Daily Papers · 2025-03-03"
    assert len(post.messages) >= 2  # the opening message, then the rest inside the post
    papers = [e["title"] for m in post.messages for e in m["embeds"]]
    assert papers[0] == post.name
    assert len(papers) == len(set(papers)) == 11  # the header and ten papers, each once
    assert forum.messages == []
