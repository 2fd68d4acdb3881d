"""What `preview` and `post` share: which digest (FILE or --date DATE from the store) and the
channel settings it is composed with, as the same options with the same defaults, so
`preview` shows exactly what `post` sends. Both compose through `bot.compose`, the same
composer scheduled posts use."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli._types import iso_day, non_negative_int, positive_int
from bot.errors import PapersBotError

if TYPE_CHECKING:
    from bot.compose.digest import Composed
    from bot.render.options import RenderOptions
    from bot.store import Store
    from bot.store.rows import SubscriptionSettings

DEFAULT_TOP = 10
"""A new subscription's top N (`SubscriptionSettings.top_n`)."""
SOURCE_NAMES = ("hf", "markdown", "feed")


class NoDigestError(PapersBotError):
    """--date names a day no source published (or the store lacks and cannot fetch)."""


def add_digest_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE or --date DATE, and the channel settings, for both commands."""
    parser.add_argument(
        "file", metavar="FILE", type=Path, nargs="?", help="a markdown digest or saved HF JSON"
    )
    parser.add_argument(
        "--date",
        type=iso_day,
        metavar="DATE",
        help="the digest of DATE (YYYY-MM-DD) from the archive, instead of FILE",
    )
    parser.add_argument(
        "--top",
        type=positive_int,
        default=DEFAULT_TOP,
        metavar="N",
        help=f"the N papers with the most votes (default {DEFAULT_TOP}, as a new subscription)",
    )
    parser.add_argument(
        "--min-votes", type=non_negative_int, default=0, metavar="V", help="skip papers below V"
    )
    parser.add_argument(
        "--keyword", action="append", default=[], metavar="K", help="keep papers matching K"
    )
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        choices=SOURCE_NAMES,
        help="with --date: only this source's digest of the day (repeatable; default all)",
    )
    parser.add_argument(
        "--layout", choices=["channel", "thread"], default="channel", help="Slack layout"
    )
    parser.add_argument("--locale", choices=["en", "ko"], help="labels (default: the digest's)")


def check_digest_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if (args.file is None) == (args.date is None):
        parser.error("give either FILE or --date DATE")


def settings_from(args: argparse.Namespace) -> SubscriptionSettings:
    from bot.models import SourceKind  # noqa: PLC0415
    from bot.store.rows import SubscriptionSettings  # noqa: PLC0415

    return SubscriptionSettings(
        top_n=args.top,
        min_votes=args.min_votes,
        keywords=tuple(args.keyword),
        sources=tuple(SourceKind(name) for name in dict.fromkeys(args.source)),
        language=args.locale,
        layout=args.layout,
    )


def render_options_from(args: argparse.Namespace) -> RenderOptions:
    from bot.compose.digest import render_options  # noqa: PLC0415

    return render_options(settings_from(args))


async def compose_file(path: Path, args: argparse.Namespace) -> Composed:
    from bot.compose.digest import select  # noqa: PLC0415
    from bot.sources.files import load_digest_file  # noqa: PLC0415

    digest = await asyncio.to_thread(load_digest_file, path)
    return select(digest, settings_from(args))


async def compose_stored(store: Store, day: dt.date, args: argparse.Namespace) -> Composed | None:
    from bot.compose.digest import compose  # noqa: PLC0415

    return await compose(store, day, settings_from(args))


def no_digest(day: dt.date, detail: str = "") -> NoDigestError:
    return NoDigestError(f"no digest of {day} in the archive{detail}; `papers-bot import` it first")
