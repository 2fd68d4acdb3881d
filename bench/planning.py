"""Planning at scale: N subscriptions due at the same minute, planned together as the
running bot's post-time job does (read the slot's subscriptions, `Planner.plan_slot`), on
SQLite or PostgreSQL.

    .venv/bin/python bench/planning.py [--subscriptions 1000 10000] [--database URL]
        [--run] [--asyncio-debug]

Half the channels are Discord, half Slack, with a spread of settings (top N, minimum votes,
keywords, layout, language), so the planner renders several looks of the day. Printed per
size: seconds until every post is in the outbox, seconds until the first one is (when the
delivery worker is woken), and the longest the event loop went without running a callback
(measured by a 10 ms ticker) while planning. With `--run` (SQLite), `papers-bot run` is then
started over the largest store, against the local fakes: time from start to ready, and its
resident memory once idle. With `--asyncio-debug`, asyncio's slow-callback warning is on
while planning (threshold 10 ms) and the worst callback it names is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from fanout import idle_run  # noqa: E402
from slow_callbacks import SlowCallbacks, watching  # noqa: E402

from bot.delivery.planner import Planner  # noqa: E402
from bot.models import ChannelRef, Platform  # noqa: E402
from bot.store import Store, open_store  # noqa: E402
from bot.store.rows import DeliveryKind, SubscriptionSettings  # noqa: E402
from bot.store.schema import deliveries, subscriptions  # noqa: E402
from tests.delivery.world import store_digest, synthetic_entries  # noqa: E402

DAY = dt.date(2025, 3, 3)
POST_TIME = "09:00"
OCCURRENCE = dt.datetime(2025, 3, 4, 9, 0, tzinfo=dt.UTC)
TARGET_SECONDS = 5.0
FIRST_TARGET_SECONDS = 2.0
STALL_TARGET_MS = 100.0
TICK = 0.01
DEBUG_THRESHOLD = 0.01
"""With --asyncio-debug: callbacks over 10 ms are reported, so the worst one is named."""


def settings_for(n: int) -> SubscriptionSettings:
    """A spread of looks, as real channels choose them."""
    return SubscriptionSettings(
        top_n=(3, 5, 10)[n % 3],
        min_votes=(0, 10)[n % 2],
        keywords=() if n % 5 else ("benchmarks",),
        layout=("channel", "thread")[n % 4 == 0],
        language=(None, "ko")[n % 7 == 0],
        post_time=POST_TIME,
    )


async def subscribe(store: Store, count: int) -> None:
    for n in range(count):
        platform = Platform.DISCORD if n % 2 == 0 else Platform.SLACK
        workspace = "9000" if platform is Platform.DISCORD else "T0BENCH"
        channel = ChannelRef(platform, workspace, f"{10**17 + n}" if n % 2 == 0 else f"C{n:08d}")
        await store.subscriptions.save(channel, settings_for(n), actor="bench")


class StallMonitor:
    """The longest gap between two ticks of a 10 ms timer: what a blocking call costs."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - TICK)
            last = now

    def __enter__(self) -> StallMonitor:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


async def measure(database_url: str, count: int, *, asyncio_debug: bool = False) -> bool:
    async with open_store(database_url) as store:
        await store_digest(store, DAY, synthetic_entries(30))
        await subscribe(store, count)
        gc.freeze()  # as `papers-bot run` does once it is ready (bot/app.py)
        first: list[float] = []
        started = 0.0

        def planned(_kind: DeliveryKind) -> None:
            """Where the running bot wakes its delivery worker."""
            if not first:
                first.append(time.perf_counter() - started)

        planner = Planner(store, clock=lambda: OCCURRENCE, on_planned=planned)
        watch = watching(DEBUG_THRESHOLD) if asyncio_debug else contextlib.nullcontext(None)
        with StallMonitor() as stalls, watch as slow:
            started = time.perf_counter()
            subs = await store.subscriptions.list(
                active_only=True, post_time=POST_TIME, timezone="UTC"
            )
            await planner.plan_slot(subs, OCCURRENCE)
            total = time.perf_counter() - started
        rows = sum((await store.deliveries.counts()).values())
    ok = rows == count and total <= TARGET_SECONDS and stalls.worst * 1000 <= STALL_TARGET_MS
    ok = ok and bool(first) and first[0] <= FIRST_TARGET_SECONDS
    print(
        f"{store.backend.value:10} {count:6,d} subscriptions: {rows:6,d} posts planned in "
        f"{total:5.2f} s (target {TARGET_SECONDS:g} s), first in the outbox after "
        f"{first[0] if first else float('nan'):4.2f} s (target {FIRST_TARGET_SECONDS:g} s), "
        f"worst event-loop stall {stalls.worst * 1000:5.1f} ms (target {STALL_TARGET_MS:g})"
    )
    if isinstance(slow, SlowCallbacks):
        print(f"{'':10} {slow.summary()}")
        ok = ok and slow.worst * 1000 <= STALL_TARGET_MS
    return ok


async def make_idle(url: str) -> None:
    """Empty the outbox the measurement filled and move every post time half a day away,
    so `run` starts with nothing to send or catch up: its memory is an idle bot's."""
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=12)).strftime("%H:%M")
    async with open_store(url, migrate=False) as store, store.db.write() as conn:
        await conn.execute(sa.delete(deliveries))
        await conn.execute(sa.update(subscriptions).values(post_time=later, timezone="UTC"))


async def subscription_count(url: str) -> int:
    async with open_store(url) as store, store.db.read() as conn:
        query = sa.select(sa.func.count()).select_from(subscriptions)
        return int((await conn.execute(query)).scalar_one())


async def clear(url: str) -> None:
    """Remove the measurement's posts and subscriptions, so the next size plans into an
    empty outbox too."""
    async with open_store(url, migrate=False) as store, store.db.write() as conn:
        await conn.execute(sa.delete(deliveries))
        await conn.execute(sa.delete(subscriptions))


async def main_async(args: argparse.Namespace) -> int:
    if args.database and await subscription_count(args.database):
        print("the database holds subscriptions: give the bench an empty database of its own")
        return 2
    ok = True
    for count in args.subscriptions:
        if args.database:
            ok &= await measure(args.database, count, asyncio_debug=args.asyncio_debug)
            await clear(args.database)
            continue
        with tempfile.TemporaryDirectory(prefix="papers-bot-planning-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            ok &= await measure(url, count, asyncio_debug=args.asyncio_debug)
            if args.run and count == max(args.subscriptions):
                env = {
                    "DATABASE_URL": url,
                    "DISCORD_TOKEN": "bench",
                    "SLACK_BOT_TOKEN": "xoxb-bench",
                    "HTTP_HOST": "127.0.0.1",
                    "HTTP_PORT": "0",
                    "HF_API_URL": "http://127.0.0.1:9/api/daily_papers",
                    "SOURCES": "hf",
                    "HTTP_RETRIES": "0",
                }
                await make_idle(url)
                ok &= await idle_run(env, Path(tmp), count)
    print("all targets met" if ok else "some targets missed")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscriptions", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--database", help="a PostgreSQL URL (emptied tables expected)")
    parser.add_argument("--run", action="store_true", help="then start `run` over the store")
    parser.add_argument(
        "--asyncio-debug", action="store_true", help="asyncio's slow-callback warning on"
    )
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
