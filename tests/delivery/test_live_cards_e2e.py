"""Live cards end to end: `papers-bot run` as a real process posts a digest to a Discord
and a Slack channel, the fake HF API then reports more votes for the posted papers, and
the posted messages show the new counts within a few polls: edited in place, no new
message, no refused edit, no 429. Then the same across a SIGKILL between the vote change
and the edit, and another during the edit itself (the fake holds the request, then
carries it out: it landed, the bot never heard): after a restart each message shows the
newest counts, and no edit ever put an older count back."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.delivery.timing import complete_day_before
from bot.models import ChannelRef, Platform, SourceKind
from bot.post_time import PostTime
from bot.store import open_store
from bot.store.rows import SubscriptionSettings
from bot.store.schema import live_cards
from tests.app.content import Entry, hf_items
from tests.app.process import BotProcess
from tests.delivery.world import wait_for
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.source import FakeSource

pytestmark = pytest.mark.timeout(300)

READY = r"papers-bot .* ready"
POLL_SECONDS = 10
"""POLL_INTERVAL: the shortest the settings allow."""
HELD = 6.0
"""How long the fakes hold an edit request before carrying it out (the kill falls inside)."""
ENTRIES = (
    Entry("2503.30001", "Tidal Attention for Long Documents", 40),
    Entry("2503.30002", "Sparse Lanterns in Vision Models", 25),
    Entry("2503.30003", "Gentle Rewards for Small Agents", 9),
)


def votes(p2: int, p3: int) -> tuple[Entry, ...]:
    first, second, third = ENTRIES
    return (first, dataclasses.replace(second, votes=p2), dataclasses.replace(third, votes=p3))


@dataclasses.dataclass
class Scene:
    day: dt.date
    data_dir: Path
    source: FakeSource
    discord: FakeDiscord
    slack: FakeSlack

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'papers-bot.db'}"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "DATA_DIR": str(self.data_dir),
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": "0",
            "SOURCES": "hf",
            "HF_API_URL": self.source.hf_url,
            "POLL_INTERVAL": str(POLL_SECONDS),
            "POLL_DAYS": "3",
            "HTTP_RETRIES": "0",
            "HTTP_TIMEOUT": "5",
            "LOG_LEVEL": "INFO",
            "DISCORD_TOKEN": self.discord.token,
            "DISCORD_API_BASE": self.discord.api_base,
            "SLACK_BOT_TOKEN": self.slack.bot_token,
            "SLACK_API_BASE": self.slack.api_base,
            **extra,
        }

    def report_votes(self, entries: tuple[Entry, ...]) -> None:
        self.source.add_hf_day(self.day, hf_items(self.day, entries))

    def day_reads(self) -> int:
        return sum(
            1
            for r in self.source.requests_to("/api/daily_papers")
            if r.query.get("date") == self.day.isoformat()
        )

    def discord_counts(self) -> list[str]:
        [message] = self.discord.default_channel.messages
        return _discord_votes(message)

    def slack_counts(self) -> list[str]:
        header, *replies = self.slack.default_channel.messages
        found = [_slack_vote(reply) for reply in replies]
        return [*re.findall(r"· 👍 (\d+)", str(header["blocks"])), *found]

    def shows(self, entries: tuple[Entry, ...]) -> bool:
        wanted = [str(e.votes) for e in entries]
        return (
            self.posted()
            and self.discord_counts() == [f"👍 {v}" for v in wanted]
            and self.slack_counts() == wanted + wanted
        )

    def posted(self) -> bool:
        return (
            len(self.discord.default_channel.messages) == 1
            and len(self.slack.default_channel.messages) == 4
        )

    async def planned_edits(self) -> int:
        """Messages with newer content planned than shown, as the bot's database says."""
        async with open_store(self.database_url, migrate=False) as store, store.db.read() as conn:
            query = sa.select(sa.func.count()).where(
                live_cards.c.wanted_version > live_cards.c.applied_version
            )
            return int((await conn.execute(query)).scalar_one())


def _discord_votes(message: dict[str, Any]) -> list[str]:
    return [
        f["value"] for e in message["embeds"] for f in e.get("fields", []) if "👍" in f["value"]
    ]


def _slack_vote(message: dict[str, Any]) -> str:
    [count] = re.findall(r"👍 \*Votes\* (\d+)", str(message["blocks"]))
    return str(count)


async def arrange(
    tmp_path: Path, source: FakeSource, discord: FakeDiscord, slack: FakeSlack
) -> Scene:
    """Both fakes' channels subscribed to the HF day, at a post time that just passed: the
    bot posts at its first poll (inside the grace period)."""
    post_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    post_time = post_at.strftime("%H:%M:%S")
    day = complete_day_before(PostTime.parse(post_time, "UTC").latest(post_at))
    scene = Scene(day, tmp_path / "data", source, discord, slack)
    scene.report_votes(ENTRIES)
    settings = SubscriptionSettings(
        top_n=3, sources=(SourceKind.HF,), post_time=post_time, timezone="UTC"
    )
    async with open_store(scene.database_url) as store:
        discord_channel = str(discord.default_channel.id)
        await store.subscriptions.save(
            ChannelRef(Platform.DISCORD, str(discord.guild_id), discord_channel), settings
        )
        await store.subscriptions.save(
            ChannelRef(Platform.SLACK, slack.team_id, slack.default_channel.id),
            dataclasses.replace(settings, layout="thread"),
        )
    return scene


def assert_clean(scene: Scene) -> None:
    """No new message, no refused edit, no 429, on either platform."""
    assert scene.posted()
    assert scene.discord.refused_edits == []
    assert scene.slack.refused_edits == []
    assert scene.discord.throttled == []
    assert scene.slack.throttled == []


async def test_posted_counts_follow_new_votes_within_a_few_polls(
    tmp_path: Path, fake_source: FakeSource, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    scene = await arrange(tmp_path, fake_source, fake_discord, fake_slack)
    bot = await BotProcess.start(scene.env(LIVE_CARDS_EDIT_INTERVAL="2"), tmp_path)
    try:
        await bot.wait_for_log(READY, within=60)
        await wait_for(scene.posted, fake_discord, fake_slack, within=60)
        assert scene.shows(ENTRIES)
        reads = scene.day_reads()
        scene.report_votes(votes(p2=31, p3=77))
        await wait_for(
            lambda: scene.shows(votes(p2=31, p3=77)), fake_discord, fake_slack, within=60
        )
        polls = scene.day_reads() - reads
        assert await bot.stop() == 0
    finally:
        await bot.kill()
    assert polls <= 3, polls
    assert_clean(scene)
    assert len(fake_discord.edits) == 1  # the one message carrying the header and cards
    assert len(fake_slack.edits) == 3  # the header's index line and the two changed cards


async def test_counts_land_once_in_effect_across_sigkills(
    tmp_path: Path, fake_source: FakeSource, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    scene = await arrange(tmp_path, fake_source, fake_discord, fake_slack)
    # Twenty seconds between a message's writes: the first kill falls after the new
    # votes were planned and before their edit could be sent.
    env = scene.env(LIVE_CARDS_EDIT_INTERVAL="20")
    bots: list[BotProcess] = []
    try:
        bots.append(await BotProcess.start(env, tmp_path))
        await wait_for(scene.posted, fake_discord, fake_slack, within=60)

        # 1. Killed between the vote change and the edit.
        scene.report_votes(votes(p2=31, p3=77))
        for _ in range(400):
            if await scene.planned_edits() == 4:
                break
            await asyncio.sleep(0.1)
        assert await scene.planned_edits() == 4
        await bots[-1].kill()
        assert fake_discord.edits == []
        assert fake_slack.edits == []
        bots.append(await BotProcess.start(env, tmp_path))
        await wait_for(
            lambda: scene.shows(votes(p2=31, p3=77)), fake_discord, fake_slack, within=90
        )

        # 2. Killed during the edit: the request is held, then carried out after the kill.
        fake_discord.slow_next(HELD, path="/messages/")
        fake_slack.slow_next(HELD, path="chat.update")
        scene.report_votes(votes(p2=50, p3=88))
        patches = len(fake_discord.requests_to("/messages/", "PATCH"))
        await wait_for(
            lambda: len(fake_discord.requests_to("/messages/", "PATCH")) > patches,
            fake_discord,
            within=90,
        )
        await bots[-1].kill()
        bots.append(await BotProcess.start(env, tmp_path))
        await wait_for(
            lambda: scene.shows(votes(p2=50, p3=88)), fake_discord, fake_slack, within=90
        )
        await asyncio.sleep(HELD)  # whatever was held has landed
        assert scene.shows(votes(p2=50, p3=88))
        assert await bots[-1].stop() == 0
    finally:
        for bot in bots:
            await bot.kill()
    assert_clean(scene)
    # Every edit of the Discord message carried the newest counts of its time: never back.
    history = [_discord_votes({"embeds": edit.body["embeds"]})[2] for edit in fake_discord.edits]
    print(f"Discord edits {history}; Slack edits {len(fake_slack.edits)}")
    assert history == sorted(history, key=lambda shown: int(shown.split()[1]))
    assert history[0] == "👍 77"
    assert history[-1] == "👍 88"
