"""`papers-bot run [--json]`: the long-running bot, until SIGTERM or Ctrl-C.

A dry run draws what it posts on stdout as `preview` does; with --json, or when the logs
are JSON (LOG_FORMAT=json), it prints one JSON line per message with the exact request
body instead.

The first signal starts a graceful stop (polls finish or are cancelled, everything closes,
exit code 0); a second one restores the default handlers, so a third Ctrl-C kills at once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Any

from bot.cli._settings import HelpWithSettings

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Settings

log = logging.getLogger("bot.run")

#: Libraries whose INFO lines are per-run chatter ("Running job ...") rather than news.
CHATTY_LOGGERS = ("apscheduler", "alembic", "aiohttp.access")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the bot: poll sources, post digests, serve /healthz and /metrics",
        description="Run the bot until SIGTERM or Ctrl-C. With no platform configured it is\n"
        "a dry run that prints what it would post.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    parser.add_argument(
        "-h", "--help", action=HelpWithSettings, help="show this help message and exit"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="a dry run prints the exact request bodies as JSON lines instead of drawing them",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Settings, logging and the bot's modules are loaded before the event loop starts:
    importing the app takes most of a second, which inside the loop would be one long
    blocking step (the CLI imports it here, not at the top, so `--help` stays instant)."""
    from bot.app import App  # noqa: PLC0415
    from bot.config import load_settings  # noqa: PLC0415
    from bot.logs import configure_logging  # noqa: PLC0415

    settings = load_settings()
    configure_logging(settings)
    if settings.log_level != "DEBUG":
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    drawn = not (args.json or settings.log_format == "json")
    asyncio.run(_serve(App, settings, console_drawn=drawn))
    return 0


async def _serve(app_type: type[App], settings: Settings, *, console_drawn: bool) -> None:
    """The app is made on the running loop (its scheduler and clients belong to it)."""
    app = app_type(settings, console_drawn=console_drawn)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)

    def on_signal(received: signal.Signals) -> None:
        if not stop.is_set():
            log.info("%s received: stopping gracefully", received.name)
            stop.set()
            return
        log.warning("%s received again: the next one stops at once", received.name)
        for sig in signals:
            loop.remove_signal_handler(sig)

    for sig in signals:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        await app.run(stop)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
