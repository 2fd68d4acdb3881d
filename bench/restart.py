"""A restart after a crash: 150 Discord posts were in flight when the bot died, 150 s ago
(past Discord's nonce window, so each is looked up in its channel before it is sent
again), and the posts of half the channels had landed before the crash. The restarted
engine reads every channel's recent messages and sends what is missing, all under one
proactive budget, against the fake with Discord's real limits (50 requests/s global,
reads included; 5 messages per 5 s per channel).

    .venv/bin/python bench/restart.py [--channels N] [--down SECONDS]

Printed: the reads and posts the fake saw, the 429s among them, lost and duplicate
messages, and how long the restart took to settle everything.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from fanout import CountingDiscord  # noqa: E402

from bot.adapters.base import nonce_for  # noqa: E402
from bot.store.rows import DeliveryState, SubscriptionSettings  # noqa: E402
from bot.store.schema import deliveries  # noqa: E402
from tests.delivery.support import running_engine  # noqa: E402
from tests.delivery.world import (  # noqa: E402
    duplicates,
    received,
    store_digest,
    subscribe_channels,
    synthetic_entries,
)
from tests.fakes.discord_state import message_json  # noqa: E402

DAY = dt.date(2025, 3, 3)
OCCURRENCE = dt.datetime(2025, 3, 4, 3, 33, tzinfo=dt.UTC)


async def restart(args: argparse.Namespace, workdir: Path) -> bool:
    fake = CountingDiscord()
    await fake.start()
    url = f"sqlite:///{workdir / 'bot.db'}"
    env: dict[str, Any] = {"discord_token": fake.token, "discord_api_base": fake.api_base}
    try:
        async with running_engine(url, **env) as first:
            await first.engine.worker.stop()  # it dies before sending anything of its own
            await store_digest(first.store, DAY, synthetic_entries(12))
            settings = SubscriptionSettings(top_n=3, post_time="03:33")
            subs = await subscribe_channels(first.store, fake, None, args.channels, settings)
            await first.engine.planner.plan_slot(subs, OCCURRENCE)
            rows = await first.store.deliveries.list()
            crashed_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=args.down)
            async with first.store.db.write() as conn:
                await conn.execute(
                    sa.update(deliveries).values(
                        state=DeliveryState.IN_FLIGHT.value,
                        lease_until=crashed_at,
                        updated_at=crashed_at,
                    )
                )
        # Half the posts landed before the crash: their messages are in the channels.
        for row in rows[::2]:
            channel = fake.channels[int(row.channel.channel_id)]
            body = {"content": "", "nonce": nonce_for(f"{row.idempotency_key}.0")}
            channel.messages.append(message_json(fake.ids.next(), channel, body, fake.bot_user))
        landed = len(rows[::2])

        started = time.perf_counter()
        async with running_engine(url, **env) as second:
            counts = await second.drained(within=600)
            found = second.metric(
                "papers_bot_reconciled_total", platform="discord", outcome="found"
            )
        took = time.perf_counter() - started

        reads = len(fake.requests_to("/messages", "GET"))
        posts = len(fake.requests_to("/messages", "POST"))
        got = received(fake, None)
        lost = sum(1 for s in subs if not got.get(s.channel.channel_id))
        dups = sum(len(duplicates(got.get(s.channel.channel_id, []))) for s in subs)
        share = fake.too_many / max(1, reads + posts)
        print(
            f"{args.channels} posts in flight, {landed} of them landed before a crash "
            f"{args.down:g} s ago; the restart settled them in {took:.1f} s: {reads} reads "
            f"({int(found)} found), {posts} posts, 429s {fake.too_many} ({share:.2%} of "
            f"{reads + posts} requests); lost {lost}; duplicates {dups}; "
            f"sent {counts[DeliveryState.SENT]} of {len(rows)}"
        )
        return share < 0.01 and lost == 0 and dups == 0
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=150, help="posts in flight")
    parser.add_argument("--down", type=float, default=150.0, help="seconds since the crash")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="papers-bot-restart-") as tmp:
        ok = asyncio.run(restart(args, Path(tmp)))
    print("all targets met" if ok else "some targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
