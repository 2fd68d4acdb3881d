"""A fetcher whose backoff waits are recorded instead of slept, so tests never wait."""

from __future__ import annotations

import asyncio
import random

import aiohttp

from bot.sources.http import Backoff, Fetcher

TEST_BACKOFF_CAP = 0.01
TEST_RETRY_AFTER_CAP = 0.05


class SleepLog:
    """Stands in for asyncio.sleep: remembers each requested delay, yields once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def make_fetcher(
    session: aiohttp.ClientSession,
    *,
    retries: int = 3,
    timeout: float = 5.0,
    max_body_bytes: int = 64 * 1024,
    sleeps: SleepLog | None = None,
) -> Fetcher:
    return Fetcher(
        session,
        timeout=timeout,
        max_body_bytes=max_body_bytes,
        retries=retries,
        backoff=Backoff(
            base=0.001,
            cap=TEST_BACKOFF_CAP,
            retry_after_cap=TEST_RETRY_AFTER_CAP,
            rng=random.Random(7),
        ),
        sleep=sleeps or SleepLog(),
    )
