"""Starting `papers-bot run` against the fakes with only documented settings, and reading
its /healthz while it runs."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.store import open_store
from bot.store.rows import Subscription
from tests.app.process import BotProcess
from tests.app.test_run import bot_env
from tests.fakes.source import FakeSource

ARCHIVE_DAY = dt.date(2025, 1, 6)
HEALTH_POLL = 0.2


@dataclass
class Launcher:
    """Starts bots on one archive (DATA_DIR) polling one fake source; the `bots` fixture
    kills whatever a test leaves running."""

    data_dir: Path
    fake_source: FakeSource
    bots: list[BotProcess]

    async def start(self, platform_env: dict[str, str]) -> tuple[BotProcess, str]:
        """A running bot and its web server's base URL, once it has logged the ready line.
        Subscriptions made from chat are picked up by delivery every second."""
        env = bot_env(
            self.fake_source, self.data_dir, SUBSCRIPTION_SYNC_SECONDS="1", **platform_env
        )
        bot = await BotProcess.start(env, self.data_dir.parent)
        self.bots.append(bot)
        port = await bot.wait_for_port(within=30)
        await bot.wait_for_log(r"papers-bot .* ready", within=30)
        return bot, f"http://127.0.0.1:{port}"

    async def subscriptions(self) -> list[Subscription]:
        """The subscriptions as the bot left them in its SQLite file (read after it stopped)."""
        async with open_store(f"sqlite:///{self.data_dir / 'papers-bot.db'}") as store:
            return await store.subscriptions.list()


async def health_when(
    http: aiohttp.ClientSession,
    base: str,
    wanted: Callable[[dict[str, Any]], bool],
    *,
    within: float = 15.0,
) -> dict[str, Any]:
    """/healthz once `wanted` holds for it (the gateway's READY and the subscription sync
    happen in the bot on their own schedule), else the last report in the failure."""
    report: dict[str, Any] = {}
    try:
        async with asyncio.timeout(within):
            while True:
                async with http.get(base + "/healthz") as response:
                    report = await response.json()
                if wanted(report):
                    return report
                await asyncio.sleep(HEALTH_POLL)
    except TimeoutError:
        raise AssertionError(f"/healthz never matched within {within}s: {report}") from None


def assert_quiet_log(lines: list[str]) -> None:
    """A clean run: nothing logged at ERROR, no traceback, no unclosed client session."""
    bad = [line for line in lines if " ERROR " in line or "Traceback" in line or "Unclosed" in line]
    assert bad == [], "\n".join(bad)
