"""Fixtures for the fetching tests: the fake source server and one client session per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio

from tests.fakes.source import fake_source  # noqa: F401  (registers the fixture here)


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client
