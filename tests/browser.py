"""Headless Chromium for the tests and scripts that look at the HTML preview: a screenshot
of a page, or the DOM the browser built from it.

Chromium runs with a throw-away profile, no background traffic, and every host name
resolving to nothing (`--host-resolver-rules`), so a page's remote images fail at once
and nothing leaves the machine; the page shows its offline placeholders instead.
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
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> str | None:
    """The first Chromium on PATH (Debian's package installs /usr/bin/chromium)."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


def _run(chromium: str, page: Path, *flags: str) -> str:
    with tempfile.TemporaryDirectory(prefix="papers-bot-chromium-") as profile:
        done = subprocess.run(
            [chromium, *_FLAGS, f"--user-data-dir={profile}", *flags, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def screenshot(
    chromium: str, page: Path, png: Path, *, width: int, height: int, scale: float = 1
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


def dump_dom(chromium: str, page: Path) -> str:
    """The page's DOM as Chromium serialises it after loading it."""
    return _run(chromium, page, "--dump-dom")
