"""Fault test: one digest fanned out to 200 channels (Discord and Slack) while the fakes
answer 5% of sends with 500, start 429 bursts on 5%, drop 3% of connections and answer 5%
slowly (some slower than the bot's timeout, after the message landed). Every channel must
end with exactly its post: nothing lost, nothing twice, in order."""

from __future__ import annotations

import datetime as dt
import os
import random

from bot.store.rows import DeliveryState, SubscriptionSettings
from tests.delivery.support import running_engine
from tests.delivery.world import (
    RandomFaults,
    duplicates,
    received,
    store_digest,
    subscribe_channels,
    synthetic_entries,
)
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack

CHANNELS = int(os.environ.get("PAPERS_BOT_FAULT_CHANNELS", "200"))
DAY = dt.date(2025, 3, 3)
SETTINGS = SubscriptionSettings(min_votes=5, top_n=4, post_time="09:00", timezone="UTC")


async def test_every_post_lands_exactly_once_through_faults(
    database_url: str, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    faults_d = RandomFaults(rng=random.Random(11))
    faults_s = RandomFaults(rng=random.Random(12))
    fake_discord.faults = faults_d
    fake_slack.faults = faults_s
    occurrence = dt.datetime(2025, 3, 4, 9, 0, tzinfo=dt.UTC)
    async with running_engine(
        database_url,
        discord_token=fake_discord.token,
        discord_api_base=fake_discord.api_base,
        slack_bot_token=fake_slack.bot_token,
        slack_api_base=fake_slack.api_base,
        slack_workspace_per_minute=6000,
        slack_history_per_minute=6000,
        http_timeout=1.0,
    ) as bot:
        digest = await store_digest(bot.store, DAY, synthetic_entries(12))
        subs = await subscribe_channels(bot.store, fake_discord, fake_slack, CHANNELS, SETTINGS)
        await bot.engine.planner.plan_slot(subs, occurrence)
        counts = await bot.drained(within=110)
        rows = await bot.store.deliveries.list()
        found = bot.metric("papers_bot_reconciled_total", platform="slack", outcome="found")

    assert counts[DeliveryState.SENT] == CHANNELS, counts
    assert sum(faults_d.injected.values()) > 0
    assert sum(faults_s.injected.values()) > 0
    expected_papers = len([p for p in digest.papers if (p.votes or 0) >= SETTINGS.min_votes][:4])
    got = received(fake_discord, fake_slack)
    for sub in subs:
        messages = got[sub.channel.channel_id]
        assert duplicates(messages) == [], (sub.channel, messages)
        if sub.channel.platform.value == "slack":
            assert len(messages) == 1 + expected_papers, messages  # header + one per paper
        else:
            assert len(messages) == 1, messages  # header and papers fit one message
    assert all(r.state is DeliveryState.SENT for r in rows)
    # Some slow answers came after the timeout, so those messages had landed unseen: each
    # was found again (Slack history) instead of being posted twice.
    assert found > 0
    print("injected:", dict(faults_d.injected), dict(faults_s.injected), "found:", found)
