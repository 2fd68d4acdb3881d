"""`papers-bot post` in a child process to a Discord forum the store knows as one (from
/subscribe, or `subscriptions --forum`): the digest goes out as a forum post, through the
outbox, as a scheduled post to that forum would."""

from __future__ import annotations

from pathlib import Path

from bot.models import ChannelKind, ChannelRef, Platform
from bot.store import open_store
from bot.store.rows import SubscriptionSettings
from tests.adapters.cli_runner import run_cli
from tests.conftest import FIXTURE_CORPUS
from tests.fakes.discord import FakeDiscord

DAY_FILE = FIXTURE_CORPUS / "2024" / "10" / "18.md"


async def test_post_to_a_subscribed_forum_opens_a_forum_post(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    forum = fake_discord.add_forum("papers-forum", ("Papers", "Korean"))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    channel = ChannelRef(Platform.DISCORD, str(fake_discord.guild_id), str(forum.id))
    async with open_store(f"sqlite:///{data_dir / 'papers-bot.db'}") as store:
        settings = SubscriptionSettings(channel_kind=ChannelKind.FORUM)
        await store.subscriptions.save(channel, settings, actor="test")

    env = {**fake_discord.settings_env(), "DATA_DIR": str(data_dir), "HTTP_TIMEOUT": "10"}
    result = await run_cli("post", str(DAY_FILE), "--to", f"discord:{forum.id}", env=env)

    assert result.code == 0, result.stderr
    assert "posted" in result.stdout
    [post] = fake_discord.posts_in(forum)
    assert post.name == "Hugging Face 데일리 페이퍼 · 2024-10-18"
    names = {tag["id"]: tag["name"] for tag in forum.available_tags}
    assert [names[tag] for tag in post.applied_tags] == ["Papers", "Korean"]
    assert post.messages
    assert forum.messages == []
