"""The status page as headless Chromium gets it from the bot's web server: drawn (a
screenshot of the expected size, not blank, its tiles in their colours) and built into
the DOM we wrote (every section, no script, hostile text as text).

Skipped where Chromium is missing, required under CI (like the HTML preview's tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from bot.store import Store, open_store
from tests.browser import dump_dom, screenshot
from tests.render.page_dom import read_page
from tests.status import world
from tests.status.support import rows, section, serving

WIDTH, HEIGHT = 1280, 1500
PAGE_BACKGROUND = (0xF4, 0xF5, 0xF7)
TILE_GREEN = (0x1A, 0x7F, 0x37)
TILE_RED = (0xCF, 0x22, 0x2E)
SECTIONS = ["sources", "subscriptions", "outbox", "dead-letters", "recent-posts"]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """One backend is enough here: what Chromium does with the page is the question."""
    async with open_store(f"sqlite:///{tmp_path / 'status.db'}") as opened:
        await world.build(opened)
        yield opened


async def test_chromium_draws_the_page(store: Store, chromium: str, tmp_path: Path) -> None:
    png = tmp_path / "status.png"
    async with serving(world.page_for(store)) as url:
        # Chromium is a blocking child process: the server keeps answering meanwhile.
        await asyncio.to_thread(screenshot, chromium, url, png, width=WIDTH, height=HEIGHT)

    with Image.open(png) as shot:
        image = shot.convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    pixels = WIDTH * HEIGHT
    colours = {colour: count for count, colour in image.getcolors(maxcolors=pixels) or []}
    assert len(colours) > 200  # text, chips, tiles: not a blank or an error page
    assert colours.get(PAGE_BACKGROUND, 0) > pixels // 20
    # The tiles' top borders: subscriptions fine (green); a source and a dead letter not (red).
    assert colours.get(TILE_GREEN, 0) > 500
    assert colours.get(TILE_RED, 0) > 1000


async def test_chromium_builds_every_section_and_runs_nothing(store: Store, chromium: str) -> None:
    async with serving(world.page_for(store)) as url:
        dom = read_page(await asyncio.to_thread(dump_dom, chromium, url))

    assert [s.attrs["id"] for s in dom.by_tag("section")] == SECTIONS
    assert dom.by_tag("script") == []
    assert dom.visible_text.count(world.HOSTILE) == 2
    assert [line[0] for line in rows(section(dom, "sources"))] == ["hf", "markdown", "feed"]
    assert len(rows(section(dom, "recent-posts"))) == 3
