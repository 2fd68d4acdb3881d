"""`papers-bot preview [--date D | FILE] --platform discord|slack [--json]`: see a post
before it is sent.

FILE is a digest file (markdown or HF JSON); --date D takes the day's papers from the store
(what `import` or the running bot saved), ranked as the store ranks them.

Without --json it draws the messages in the terminal; with --json it prints, for the
digest, ONE line holding a JSON array of the exact request bodies in sending order
(Discord create-message bodies / Slack chat.postMessage arguments without `channel`;
a Slack thread-layout reply gets its `thread_ts` from the sender, so it is absent here).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli._types import iso_day, non_negative_int
from bot.errors import PapersBotError

if TYPE_CHECKING:
    from bot.models import Digest


class NoStoredDayError(PapersBotError):
    """--date names a day the store has no papers for."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "preview",
        help="show how a digest will look on Discord or Slack",
        description="Render a digest file for a platform: a terminal preview, or with --json "
        "one line holding a JSON array of the exact request bodies.",
    )
    parser.add_argument(
        "file", metavar="FILE", type=Path, nargs="?", help="markdown digest or HF JSON"
    )
    parser.add_argument("--date", type=iso_day, metavar="D", help="a day from the store instead")
    parser.add_argument("--platform", required=True, choices=["discord", "slack"])
    parser.add_argument("--json", action="store_true", help="print request bodies as JSON")
    parser.add_argument("--top", type=non_negative_int, metavar="N", help="only the N best papers")
    parser.add_argument(
        "--min-votes", type=non_negative_int, default=0, metavar="V", help="skip papers below V"
    )
    parser.add_argument(
        "--keyword", action="append", default=[], metavar="K", help="keep papers matching K"
    )
    parser.add_argument(
        "--layout", choices=["channel", "thread"], default="channel", help="Slack layout"
    )
    parser.add_argument("--locale", choices=["en", "ko"], help="labels (default: the digest's)")
    parser.add_argument(
        "--video-domain",
        action="append",
        default=[],
        metavar="HOST",
        help="a Slack unfurl domain whose videos get a video block",
    )
    parser.set_defaults(handler=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    # Heavy imports stay here so `papers-bot --help` is instant.
    from bot.render.discord import render_discord_digest  # noqa: PLC0415
    from bot.render.options import RenderOptions, SlackLayout  # noqa: PLC0415
    from bot.render.slack import render_slack_digest  # noqa: PLC0415
    from bot.selection import Selection, select_papers  # noqa: PLC0415
    from bot.sources.files import load_digest_file  # noqa: PLC0415

    if (args.file is None) == (args.date is None):
        args.parser.error("give either FILE or --date D")
    if args.file is not None:
        digest = load_digest_file(args.file)
    else:
        digest = asyncio.run(_stored_day(args.date, args.locale))
    selection = Selection(top_n=args.top, min_votes=args.min_votes, keywords=tuple(args.keyword))
    papers = select_papers(digest.papers, selection)
    options = RenderOptions(
        slack_layout=SlackLayout(args.layout),
        locale=args.locale,
        slack_video_domains=frozenset(d.lower() for d in args.video_domain),
    )
    render = render_discord_digest if args.platform == "discord" else render_slack_digest
    messages = render(digest, papers, options=options)
    if args.json:
        line = json.dumps([m.body for m in messages], ensure_ascii=False) + "\n"
        _write_utf8(line)
        return 0
    from rich.console import Console  # noqa: PLC0415

    from bot.render.terminal import preview_renderables  # noqa: PLC0415

    console = Console()
    for renderable in preview_renderables(messages):
        console.print(renderable)
    return 0


def _write_utf8(text: str) -> None:
    """JSON is UTF-8 whatever the locale says; a closed pipe (`| head`) is not an error."""
    buffer = getattr(sys.stdout, "buffer", None)
    try:
        if buffer is None:
            sys.stdout.write(text)
        else:
            sys.stdout.flush()
            buffer.write(text.encode("utf-8"))
            buffer.flush()
    except BrokenPipeError:
        pass


async def _stored_day(date: dt.date, language: str | None) -> Digest:
    """The day's papers as the store has them merged over sources, as one digest."""
    from collections import Counter  # noqa: PLC0415

    from bot.config import load_settings  # noqa: PLC0415
    from bot.models import Digest  # noqa: PLC0415
    from bot.store import open_store  # noqa: PLC0415

    settings = load_settings()
    async with open_store(settings.resolved_database_url) as store:
        day = await store.papers.of_day(date)
    if not day:
        raise NoStoredDayError(f"no papers stored for {date}; import or fetch that day first")
    papers = tuple(item.paper.to_paper(language, date=date) for item in day)
    majority = Counter(p.language for p in papers).most_common(1)[0][0]
    return Digest(date=date, source=papers[0].source, papers=papers, language=majority)
