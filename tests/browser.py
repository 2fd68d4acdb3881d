"""Headless Chromium for the tests and scripts that look at the HTML preview and the status
page: a screenshot of a page, or the DOM the browser built from it. A page is a file, or
an http:// address on 127.0.0.1 (the bot's own web server in a test).

Chromium runs with a throw-away profile, no background traffic, and every host name
resolving to nothing but 127.0.0.1 (`--host-resolver-rules`), so a page's remote images
fail at once and nothing leaves the machine; the page shows its offline placeholders
instead.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_SECONDS = 90
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)


def find_chromium() -> str | None:
    """The first Chromium on PATH (Debian's package installs /usr/bin/chromium)."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


Page = Path | str
"""A file, or an address."""


def _address(page: Page) -> str:
    return page if isinstance(page, str) else page.resolve().as_uri()


def _run(chromium: str, page: Page, *flags: str) -> str:
    with tempfile.TemporaryDirectory(prefix="papers-bot-chromium-") as profile:
        done = subprocess.run(
            [chromium, *_FLAGS, f"--user-data-dir={profile}", *flags, _address(page)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def screenshot(
    chromium: str, page: Page, png: Path, *, width: int, height: int, scale: float = 1
) -> None:
    """A `width` x `height` (CSS pixels) screenshot of `page`, `scale` device pixels each."""
    _run(
        chromium,
        page,
        f"--screenshot={png.resolve()}",
        f"--window-size={width},{height}",
        f"--force-device-scale-factor={scale}",
    )
    if not png.is_file():
        raise RuntimeError(f"chromium wrote no screenshot to {png}")


def dump_dom(chromium: str, page: Page) -> str:
    """The page's DOM as Chromium serialises it after loading it."""
    return _run(chromium, page, "--dump-dom")
