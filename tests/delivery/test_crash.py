"""Crash test: `papers-bot run` is SIGKILLed at random moments of a fan-out to 200 channels,
restarted, 20 times; then it is left to finish. The fakes' own message logs must show every
channel with exactly its post: zero lost, zero duplicates.

The fakes run with relaxed rate limits here so the rounds are quick; the real limits are
exercised by bench/fanout.py. Rounds and channels scale with PAPERS_BOT_CRASH_ROUNDS and
PAPERS_BOT_CRASH_CHANNELS (CI runs the issue's numbers, the defaults)."""

from __future__ import annotations

import collections
import datetime as dt
import os
import random
import signal
from pathlib import Path

import pytest

from bot.store.rows import DeliveryState
from tests.app.process import BotProcess
from tests.delivery.fanout import READY, World, arrange, bot_env, relaxed_fakes
from tests.delivery.world import wait_for
from tests.fakes.source import FakeSource

ROUNDS = int(os.environ.get("PAPERS_BOT_CRASH_ROUNDS", "20"))
CHANNELS = int(os.environ.get("PAPERS_BOT_CRASH_CHANNELS", "200"))

pytestmark = pytest.mark.timeout(600)


async def kill_rounds(world: World, env: dict[str, str], cwd: Path, bots: list[BotProcess]) -> int:
    """SIGKILL the bot ROUNDS times at random points; returns how many kills fell inside
    the fan-out (some messages out, some not)."""
    rng = random.Random(20240607)
    step = max(1, world.expected // ROUNDS)
    inside = 0
    for _ in range(ROUNDS):
        bot = await BotProcess.start(env, cwd)
        bots.append(bot)
        if rng.random() < 0.15:
            await bot.wait_for_log(r".", within=60)  # somewhere in start-up
        else:
            target = min(world.expected, world.total() + rng.randint(1, step))
            await wait_for(world.reached(target), world.discord, world.slack)
        await bot.kill()  # SIGKILL: no cleanup of any kind
        assert bot.proc.returncode == -signal.SIGKILL
        inside += 0 < world.total() < world.expected
    return inside


async def test_sigkill_during_fan_out_loses_nothing_and_posts_nothing_twice(
    tmp_path: Path, fake_source: FakeSource
) -> None:
    discord, slack = relaxed_fakes()
    await discord.start()
    await slack.start()
    data_dir = tmp_path / "data"
    bots: list[BotProcess] = []
    try:
        # A post time that just passed: the bot plans the posts at start-up (inside the
        # grace period) and starts the fan-out at once.
        world = await arrange(
            f"sqlite:///{data_dir / 'papers-bot.db'}",
            discord,
            slack,
            CHANNELS,
            post_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
        )
        env = bot_env(data_dir, fake_source, discord, slack)
        inside = await kill_rounds(world, env, tmp_path, bots)
        final = await BotProcess.start(env, tmp_path)
        bots.append(final)
        await final.wait_for_log(READY, within=60)
        await wait_for(world.reached(world.expected), discord, slack, within=120)
        assert await final.stop() == 0
    finally:
        for bot in bots:
            await bot.kill()
        await discord.stop()
        await slack.stop()

    assert inside >= ROUNDS // 4, "too few kills landed during the fan-out"
    world.check_exactly_once()
    nonces = collections.Counter(
        str(r.json().get("nonce")) for r in discord.requests_to("/messages", "POST")
    )
    lookups = len(slack.requests_to("conversations.history"))
    resent = sum(1 for n in nonces.values() if n > 1)
    print(
        f"kills inside the fan-out {inside}, Discord nonces re-sent {resent}, "
        f"Slack history lookups {lookups}"
    )
    assert lookups > 0, "no Slack post was ever reconciled: the kills missed every send"
    counts = await world.outbox()
    assert counts[DeliveryState.SENT] == CHANNELS, counts
