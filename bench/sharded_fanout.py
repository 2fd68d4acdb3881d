"""Fan-out of one digest to 10,000 Discord channels by two `papers-bot run` instances on
one PostgreSQL database, the gateway in 4 shards, against the local fake with Discord's
real limits (50 requests/s global per bot, 5 messages per 5 s per channel).

    .venv/bin/python bench/sharded_fanout.py [--channels N] [--instances N] [--shards N]
        [--asyncio-debug]

The channels sit in guilds spread over the shards. Once both instances are ready and the
shards are split between them, every subscription's post time is moved a few seconds
ahead: both instances plan the slot and share the sending. Printed: how the shards were
split, messages/s against the 50/s budget the instances share, 429s the fake answered,
lost and duplicate messages, and each instance's part; with `--asyncio-debug` the
instances run in asyncio's debug mode and every callback that held an instance's event
loop over 100 ms is printed (asyncio's slow-callback warning), start-up apart from what
came once the instance was ready (the target: none). Needs PostgreSQL at
127.0.0.1:5432 (a throw-away database is created and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import sqlalchemy as sa

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from fanout import CountingDiscord, report  # noqa: E402
from slow_callbacks import CHILD_ENV, from_log  # noqa: E402

from bot.models import ChannelRef, Platform, SourceKind  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.store.rows import SubscriptionSettings  # noqa: E402
from bot.store.schema import subscriptions  # noqa: E402
from tests.app.process import BotProcess  # noqa: E402
from tests.delivery.databases import create_database, drop_database  # noqa: E402
from tests.delivery.fanout import scrape  # noqa: E402
from tests.delivery.world import store_digest, synthetic_entries  # noqa: E402
from tests.fakes.source import FakeSource  # noqa: E402

DAY = dt.date(2025, 3, 3)
GUILD_CHANNELS = 250
LEAD = dt.timedelta(seconds=6)


async def arrange(url: str, fake: CountingDiscord, channels: int, shards: int) -> None:
    """Guilds of GUILD_CHANNELS channels, round-robin over the shards, every channel
    subscribed (top 3, markdown only) at a post time two hours ago."""
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).strftime("%H:%M")
    settings = SubscriptionSettings(top_n=3, sources=(SourceKind.MARKDOWN,), post_time=past)
    fake.channels.clear()
    fake.guild_ids.clear()
    async with open_store(url) as store:
        await store_digest(store, DAY, synthetic_entries(12))
        guild = 0
        for n in range(channels):
            if n % GUILD_CHANNELS == 0:
                guild = fake.add_guild(shard=((n // GUILD_CHANNELS) % shards, shards))
            channel = fake.add_channel(f"papers-{n}", guild_id=guild)
            ref = ChannelRef(Platform.DISCORD, str(guild), str(channel.id))
            await store.subscriptions.save(ref, settings, actor="bench")


async def post_soon(url: str) -> dt.datetime:
    at = dt.datetime.now(dt.UTC) + LEAD
    async with open_store(url, migrate=False) as store, store.db.write() as conn:
        await conn.execute(
            sa.update(subscriptions).values(post_time=at.strftime("%H:%M:%S"), timezone="UTC")
        )
    return at


async def shards_served(port: int) -> list[int]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        health = await response.json()
    shards = health["checks"]["adapters"]["discord"].get("shards") or {}
    return list(shards.get("served_here", []))


async def spread(ports: list[int], shards: int, within: float) -> list[list[int]]:
    """Wait until the shards are split evenly between the instances."""
    deadline = time.monotonic() + within
    fair = -(-shards // len(ports))
    while True:
        served = [await shards_served(port) for port in ports]
        flat = sorted(s for part in served for s in part)
        if flat == list(range(shards)) and all(len(part) <= fair for part in served):
            return served
        if time.monotonic() > deadline:
            raise SystemExit(f"shards never spread: {served}")
        await asyncio.sleep(0.5)


async def bench(args: argparse.Namespace, workdir: Path) -> bool:
    fake = CountingDiscord(required_shards=args.shards, max_concurrency=1)
    source = FakeSource()
    await fake.start()
    await source.start()
    url = await create_database()
    bots: list[BotProcess] = []
    try:
        started = time.perf_counter()
        await arrange(url, fake, args.channels, args.shards)
        print(f"arranged {args.channels:,d} subscriptions in {time.perf_counter() - started:.1f} s")
        # The fake Discord lives in this process and keeps every message it is sent: its
        # heap grows through the run, and each full collection of it would hold every
        # answer to both instances, a pause Discord's servers never take. Measured is the
        # bot, so the fake runs without the cyclic collector.
        gc.freeze()
        gc.disable()
        env = {
            **fake.settings_env(),
            "DATABASE_URL": url,
            "DATA_DIR": str(workdir / "data"),
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": "0",
            "SOURCES": "hf",
            "HF_API_URL": source.hf_url,
            "POLL_INTERVAL": "3600",
            "SUBSCRIPTION_SYNC_SECONDS": "1",
            "DELIVERY_CONCURRENCY": "64",
            "LOG_LEVEL": "INFO",
            **(CHILD_ENV if args.asyncio_debug else {}),
        }
        bots = [await BotProcess.start(env, workdir) for _ in range(args.instances)]
        ports = [await bot.wait_for_port(within=120) for bot in bots]
        served = await spread(ports, args.shards, within=120)
        print(f"{args.instances} instances serve the {args.shards} shards as {served}")
        at = await post_soon(url)
        expected = {str(c.id): 1 for c in fake.channels.values()}

        # Counted twice a second, not after every request: summing 10,000 channels on each
        # of the fake's requests would slow the fake itself, in this very process.
        deadline = time.monotonic() + args.channels / 40 + 120
        while sum(len(c.messages) for c in fake.channels.values()) < len(expected):
            if time.monotonic() > deadline:
                raise SystemExit("the fan-out did not finish in time")
            await asyncio.sleep(0.5)
        finished = dt.datetime.now(dt.UTC)
        await asyncio.sleep(2)  # anything sent twice would arrive now
        metrics = [await scrape(port) for port in ports]
        sent = [int(m.get("papers_bot_messages_sent_total", 0)) for m in metrics]
        print(
            f"post time to last message {(finished - at).total_seconds():.1f} s; "
            f"messages sent per instance {sent}"
        )
        ok = report("discord", fake, expected, 50.0)
        ok &= fake.gateway.shared_shards == [] and fake.gateway.identify_violations == []
        for bot in bots:
            ok &= await bot.stop() == 0
        if args.asyncio_debug:
            for n, bot in enumerate(bots):
                starting, serving = from_log(bot.stderr)
                print(f"instance {n}, start-up: {starting.summary()}")
                print(f"instance {n}, once ready (planning and fan-out): {serving.summary()}")
                ok &= serving.found == []
        return ok
    finally:
        for bot in bots:
            await bot.kill()
        await drop_database(url)
        await fake.stop()
        await source.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=10_000, help="Discord channels")
    parser.add_argument("--instances", type=int, default=2, help="papers-bot run processes")
    parser.add_argument("--shards", type=int, default=4, help="shards the fake requires")
    parser.add_argument(
        "--asyncio-debug",
        action="store_true",
        help="instances in asyncio debug mode: any callback over 100 ms is reported",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="papers-bot-sharded-") as tmp:
        ok = asyncio.run(bench(args, Path(tmp)))
    print("all targets met" if ok else "some targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
