"""`papers-bot run` end to end, as a subprocess: the fake source publishes a day, and each
subscribed channel on the fake Discord and Slack gets exactly its filtered, ranked post at
its own local time (a few seconds ahead, in its own zone); a paused channel gets nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.timing import complete_day_before
from bot.models import ChannelRef, Platform
from bot.post_time import PostTime
from bot.store import open_store
from bot.store.rows import SubscriptionSettings
from tests.app.content import HF_PAPERS, MARKDOWN_PAPERS, hf_items, markdown_digest
from tests.app.process import BotProcess
from tests.delivery.world import wait_for
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.source import FakeSource

pytestmark = pytest.mark.timeout(180)
LEAD_SECONDS = (8, 10, 12)


def local_time(now: dt.datetime, zone: str, ahead: int) -> str:
    """HH:MM:SS on the zone's wall clock `ahead` seconds from `now`."""
    return (now + dt.timedelta(seconds=ahead)).astimezone(ZoneInfo(zone)).strftime("%H:%M:%S")


def titles_of(message: dict[str, Any]) -> list[str]:
    return [e["title"] for e in message.get("embeds") or []]


async def test_each_channel_gets_its_own_post_at_its_own_time(
    tmp_path: Path,
    fake_source: FakeSource,
    fake_discord: FakeDiscord,
    fake_slack: FakeSlack,
) -> None:
    now = dt.datetime.now(dt.UTC)
    if complete_day_before(now) != complete_day_before(now + dt.timedelta(seconds=60)):
        now += dt.timedelta(seconds=60)  # keep the whole test on one side of UTC midnight
    day = complete_day_before(now + dt.timedelta(seconds=LEAD_SECONDS[0]))
    fake_source.add_digest(day, markdown_digest(day))
    fake_source.add_hf_day(day, hf_items(day))
    seoul, plain = fake_discord.add_channel("seoul"), fake_discord.add_channel("plain")
    fake_slack.add_channel("C0NEWYORK1")
    fake_slack.add_channel("C0PAUSED01")
    guild = str(fake_discord.guild_id)
    wanted = {
        ChannelRef(Platform.DISCORD, guild, str(seoul.id)): SubscriptionSettings(
            min_votes=10,
            top_n=2,
            timezone="Asia/Seoul",
            post_time=local_time(now, "Asia/Seoul", LEAD_SECONDS[0]),
        ),
        ChannelRef(Platform.DISCORD, guild, str(plain.id)): SubscriptionSettings(
            keywords=("diffusion",),
            timezone="UTC",
            post_time=local_time(now, "UTC", LEAD_SECONDS[1]),
        ),
        ChannelRef(Platform.SLACK, fake_slack.team_id, "C0NEWYORK1"): SubscriptionSettings(
            top_n=3,
            timezone="America/New_York",
            post_time=local_time(now, "America/New_York", LEAD_SECONDS[2]),
        ),
        ChannelRef(Platform.SLACK, fake_slack.team_id, "C0PAUSED01"): SubscriptionSettings(
            timezone="UTC",
            post_time=local_time(now, "UTC", LEAD_SECONDS[0]),
        ),
    }
    data_dir = tmp_path / "data"
    async with open_store(f"sqlite:///{data_dir / 'papers-bot.db'}") as store:
        for channel, settings in wanted.items():
            await store.subscriptions.save(channel, settings)
        await store.subscriptions.set_paused(
            ChannelRef(Platform.SLACK, fake_slack.team_id, "C0PAUSED01"), True, reason="test"
        )
    env = {
        "DATA_DIR": str(data_dir),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": "0",
        "SOURCES": "hf,markdown",
        "HF_API_URL": fake_source.hf_url,
        "DIGEST_URL_TEMPLATE": fake_source.digest_template,
        "HTTP_RETRIES": "0",
        "DISCORD_TOKEN": fake_discord.token,
        "DISCORD_API_BASE": fake_discord.api_base,
        "SLACK_BOT_TOKEN": fake_slack.bot_token,
        "SLACK_API_BASE": fake_slack.api_base,
    }
    bot = await BotProcess.start(env, tmp_path)
    try:
        await bot.wait_for_log(r"papers-bot .* ready.* 3 scheduled subscription")
        ny = fake_slack.channels["C0NEWYORK1"]

        def done() -> bool:
            return len(seoul.messages) >= 1 and len(plain.messages) >= 1 and len(ny.messages) >= 4

        await wait_for(done, fake_discord, fake_slack, within=60)
        assert await bot.stop() == 0
    finally:
        await bot.kill()

    by_votes = sorted(MARKDOWN_PAPERS + HF_PAPERS, key=lambda e: -e.votes)
    # Seoul: at least 10 votes, top 2, in one message under the day's header.
    assert [titles_of(m) for m in seoul.messages] == [
        [titles_of(seoul.messages[0])[0], *(e.title for e in by_votes[:2])]
    ]
    assert day.isoformat() in seoul.messages[0]["embeds"][0]["url"]  # the header of the day
    # Plain: only the keyword's paper.
    assert titles_of(plain.messages[0])[1:] == ["Pocket Diffusion on Wristwatches"]
    # New York on Slack: the header, then the top 3 as their own messages, in rank order.
    assert len(ny.messages) == 4
    assert all(e.title in ny.messages[i + 1]["text"] for i, e in enumerate(by_votes[:3]))
    assert fake_slack.channels["C0PAUSED01"].messages == []
    # Nothing went out before its channel's time.
    for channel, settings in wanted.items():
        due = PostTime.parse(settings.post_time, settings.timezone).latest(
            now + dt.timedelta(seconds=max(LEAD_SECONDS) + 60)
        )
        if channel.platform is Platform.DISCORD:
            posted = fake_discord.channels[int(channel.channel_id)].messages
            stamps = [dt.datetime.fromisoformat(m["timestamp"]) for m in posted]
        else:
            posted = fake_slack.channels[channel.channel_id].messages
            stamps = [dt.datetime.fromtimestamp(int(float(m["ts"])), dt.UTC) for m in posted]
        assert all(stamp >= due.replace(microsecond=0) for stamp in stamps), (channel, due)
