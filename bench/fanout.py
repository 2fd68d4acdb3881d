"""Fan-out under the platforms' real limits: one digest to 1,000 Discord and 1,000 Slack
channels on the local fakes, through the real engine (outbox, worker, adapters).

    .venv/bin/python bench/fanout.py [--channels N] [--slack-workspace-per-minute N]

The fakes enforce Discord's 50 requests/s global and 5 per 5 s per channel, and Slack's
1 message/s per channel plus a per-workspace budget (`--slack-workspace-per-minute`, given
to the fake and to the bot alike). Printed per platform: messages/s against the binding
limit, 429s the fakes answered, lost and duplicate messages. Then `papers-bot run` is
started as a process over those 2,000 subscriptions: time from start to ready, and its
resident memory once idle.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bot.store.rows import SubscriptionSettings  # noqa: E402
from tests.app.process import BotProcess  # noqa: E402
from tests.delivery.support import running_engine  # noqa: E402
from tests.delivery.world import (  # noqa: E402
    duplicates,
    received,
    store_digest,
    subscribe_channels,
    synthetic_entries,
)
from tests.fakes.discord import FakeDiscord  # noqa: E402
from tests.fakes.platform_faults import Fault  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402

DAY = dt.date(2025, 3, 3)
TARGET_SHARE = 0.90
RSS_TARGET_MB = 150
READY_TARGET_S = 3.0


class CountingDiscord(FakeDiscord):
    too_many = 0

    def _too_many(self, retry_after: float, **kwargs: Any) -> web.Response:
        self.too_many += 1
        return super()._too_many(retry_after, **kwargs)

    def rate_limit_response(self, fault: Fault) -> web.StreamResponse:
        return super().rate_limit_response(fault)


class CountingSlack(FakeSlack):
    too_many = 0

    def _ratelimited(self, wait: float) -> web.Response:  # type: ignore[override]
        self.too_many += 1
        return FakeSlack._ratelimited(wait)


def spans(messages: list[float]) -> float:
    return max(messages) - min(messages) if len(messages) > 1 else 0.0


def report(
    name: str, fake: FakeDiscord | FakeSlack, expected: dict[str, int], limit: float
) -> bool:
    got = received(
        fake if isinstance(fake, FakeDiscord) else None,
        fake if isinstance(fake, FakeSlack) else None,
    )
    posts = [
        r.at
        for r in fake.requests_to(
            "/messages" if isinstance(fake, FakeDiscord) else "chat.postMessage", "POST"
        )
    ]
    sent = sum(len(v) for k, v in got.items() if k in expected)
    lost = sum(max(0, n - len(got.get(k, []))) for k, n in expected.items())
    dups = sum(len(duplicates(got.get(k, []))) for k in expected)
    rate = sent / spans(posts) if spans(posts) else float("nan")
    too_many = getattr(fake, "too_many", 0)
    share = rate / limit
    print(
        f"{name:8} {sent:6d} messages in {spans(posts):6.1f} s = {rate:6.1f}/s "
        f"({share:5.1%} of the binding {limit:g}/s); requests {len(posts)}, "
        f"429s {too_many} ({too_many / max(1, len(posts)):.2%}); lost {lost}; duplicates {dups}"
    )
    return share >= TARGET_SHARE and lost == 0 and dups == 0 and too_many < 0.01 * len(posts)


async def fan_out(args: argparse.Namespace, workdir: Path) -> tuple[bool, Path, dict[str, str]]:
    discord = CountingDiscord()
    slack = CountingSlack(workspace_per_minute=args.slack_workspace_per_minute)
    await discord.start()
    await slack.start()
    database = workdir / "data" / "papers-bot.db"
    settings_d = SubscriptionSettings(top_n=args.discord_top, post_time="03:33")
    settings_s = SubscriptionSettings(top_n=args.slack_top, post_time="03:33")
    env = {
        "discord_token": discord.token,
        "discord_api_base": discord.api_base,
        "slack_bot_token": slack.bot_token,
        "slack_api_base": slack.api_base,
        "slack_workspace_per_minute": args.slack_workspace_per_minute,
        "delivery_concurrency": 64,
    }
    try:
        async with running_engine(f"sqlite:///{database}", **env) as bot:
            await store_digest(bot.store, DAY, synthetic_entries(12))
            subs = await subscribe_channels(bot.store, discord, None, args.channels, settings_d)
            subs += await subscribe_channels(bot.store, None, slack, args.channels, settings_s)
            occurrence = dt.datetime(2025, 3, 4, 3, 33, tzinfo=dt.UTC)
            started = time.perf_counter()
            await bot.engine.planner.plan_slot(subs, occurrence)  # as the post-time job does
            planned = time.perf_counter() - started
            await bot.drained(within=3600)
            total = time.perf_counter() - started
        print(f"planned {len(subs)} posts in {planned:.1f} s; all delivered after {total:.1f} s")
        expected_d = {
            s.channel.channel_id: 1 for s in subs if s.channel.platform.value == "discord"
        }
        expected_s = {
            s.channel.channel_id: 1 + args.slack_top
            for s in subs
            if s.channel.platform.value == "slack"
        }
        ok = report("discord", discord, expected_d, 50.0)
        ok &= report("slack", slack, expected_s, args.slack_workspace_per_minute / 60)
        bot_env = {
            **{k.upper(): str(v) for k, v in env.items()},
            "DATA_DIR": str(database.parent),
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": "0",
            "HF_API_URL": "http://127.0.0.1:9/api/daily_papers",
            "SOURCES": "hf",
            "HTTP_RETRIES": "0",
        }
        return ok, database, bot_env
    finally:
        await discord.stop()
        await slack.stop()


async def idle_run(bot_env: dict[str, str], workdir: Path, subscriptions: int) -> bool:
    """`papers-bot run` over a store with `subscriptions` subscriptions: readiness time and
    idle memory."""
    discord = FakeDiscord()
    slack = FakeSlack()
    await discord.start()
    await slack.start()
    env = {  # connected as a running bot is: the gateway up, the tokens accepted
        **bot_env,
        **discord.settings_env(),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_API_BASE": slack.api_base,
    }
    started = time.perf_counter()
    bot = await BotProcess.start(env, workdir)
    try:
        await bot.wait_for_log(r"papers-bot .* ready", within=60)
        ready = time.perf_counter() - started
        await asyncio.sleep(3)  # a few idle seconds before measuring
        rss_kb = 0
        status = await asyncio.to_thread(Path(f"/proc/{bot.proc.pid}/status").read_text)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
        await bot.stop()
    finally:
        await bot.kill()
        await discord.stop()
        await slack.stop()
    rss = rss_kb / 1024
    print(
        f"run: ready {ready:.2f} s after start (target < {READY_TARGET_S:g} s); idle RSS "
        f"{rss:.0f} MB (target < {RSS_TARGET_MB} MB) with {subscriptions:,d} subscriptions"
    )
    return ready < READY_TARGET_S and rss < RSS_TARGET_MB


async def main_async(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="papers-bot-fanout-") as tmp:
        workdir = Path(tmp)
        os.chdir(workdir)
        ok, _database, bot_env = await fan_out(args, workdir)
        ok &= await idle_run(bot_env, workdir, 2 * args.channels)
    print("all targets met" if ok else "some targets missed")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--channels", type=int, default=1000, help="per platform")
    parser.add_argument("--discord-top", type=int, default=3)
    parser.add_argument("--slack-top", type=int, default=1)
    parser.add_argument("--slack-workspace-per-minute", type=int, default=1200)
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
