"""The README's pictures: `papers-bot preview --html` of a digest, one page per platform,
and the status page (`GET /status`) of a bot in a sample state, photographed by headless
Chromium and cropped to what they show.

    .venv/bin/python bench/readme_images.py [--digest FILE] [--top N] [--out DIR]

The default digest is docs/images/sample-digest.md, written for this project in the
daily_papers_ko format (the real corpus is test data only: its text must not be copied
into the project, pictures included); any digest file can be given to look at it.
Needs Debian's `chromium` and `fonts-noto-cjk` (and `fonts-noto-color-emoji` for the
emoji); writes DIR/discord-preview.png and DIR/slack-preview.png (Slack in the thread
layout), and DIR/status-page.png: the page served by the bot's web server over a SQLite
store built by tests/status/world.py (invented channels, posts and errors; the webhook URL
in its dead letter shows masked, as on any status page). Thumbnails are offline
placeholders: Chromium resolves no host name here.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bot.cli import main  # noqa: E402
from bot.store import open_store  # noqa: E402
from tests.browser import find_chromium, screenshot  # noqa: E402
from tests.status import world  # noqa: E402
from tests.status.support import serving  # noqa: E402

DEFAULT_DIGEST = PROJECT / "docs/images/sample-digest.md"
PAGE_BACKGROUND = (0xE3, 0xE5, 0xE8)
STATUS_BACKGROUND = (0xF4, 0xF5, 0xF7)
WIDTH = 720
STATUS_WIDTH = 1100
HEIGHT = 6000
SCALE = 2
MARGIN = 12
STATUS_TEXTS = world.Texts(
    pause_reason="on holiday until January",
    source_error="fetch error: HTTP 503 Service Unavailable",
    dead_error=f"POST {world.WEBHOOK_URL} failed: HTTP 404 Unknown Webhook",
)


def _crop(png: Path, background: tuple[int, int, int] = PAGE_BACKGROUND) -> tuple[int, int]:
    """Cut the page's empty background below and beside what it shows, keeping a margin."""
    with Image.open(png) as shot:
        image = shot.convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, background)).getbbox()
    if box is None:
        raise SystemExit(f"{png}: the screenshot is empty")
    margin = MARGIN * SCALE
    left, top, right, bottom = box
    cropped = image.crop(
        (
            max(0, left - margin),
            max(0, top - margin),
            min(image.width, right + margin),
            min(image.height, bottom + margin),
        )
    )
    # 256 colours keep text and emoji sharp at well under half the size.
    cropped.quantize(colors=256, dither=Image.Dither.NONE).save(png, optimize=True)
    return cropped.size


def _picture(chromium: str, digest: Path, platform: str, top: int, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / f"{platform}.html"
        argv = ["preview", str(digest), "--platform", platform, "--top", str(top)]
        if main([*argv, "--layout", "thread", "--html", str(page)]) != 0:
            raise SystemExit(f"papers-bot preview failed for {platform}")
        png = out / f"{platform}-preview.png"
        screenshot(chromium, page, png, width=WIDTH, height=HEIGHT, scale=SCALE)
    width, height = _crop(png)
    print(f"{png}: {width}x{height}")


async def _status_picture(chromium: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_store(f"sqlite:///{Path(tmp) / 'status.db'}") as store:
            await world.build(store, STATUS_TEXTS)
            async with serving(world.page_for(store, STATUS_TEXTS)) as url:
                png = out / "status-page.png"
                await asyncio.to_thread(
                    screenshot, chromium, url, png, width=STATUS_WIDTH, height=HEIGHT, scale=SCALE
                )
    width, height = _crop(png, STATUS_BACKGROUND)
    print(f"{png}: {width}x{height}")


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digest", type=Path, default=DEFAULT_DIGEST, help="a digest file")
    parser.add_argument("--top", type=int, default=2, help="papers shown (default 2)")
    parser.add_argument("--out", type=Path, default=PROJECT / "docs/images", help="folder")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("chromium not found: apt-get install chromium fonts-noto-cjk")
    args.out.mkdir(parents=True, exist_ok=True)
    for platform in ("discord", "slack"):
        _picture(chromium, args.digest, platform, args.top, args.out)
    asyncio.run(_status_picture(chromium, args.out))


if __name__ == "__main__":
    run()
