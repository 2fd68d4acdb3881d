"""`papers-bot preview [--date D | FILE] --platform discord|slack [--json | --html OUT]`: see
a post before it is sent.

FILE is a digest file (markdown or HF JSON); --date D takes the day from the archive (what
`import` or the running bot saved), merged over sources as a subscribed channel gets it.
The papers and the look follow the same options, with the same defaults, as `post`: what
this shows is what `post` sends.

Without --json it draws the messages in the terminal; with --json it prints, for the
digest, ONE line holding a JSON array of the exact request bodies in sending order
(Discord create-message bodies / Slack chat.postMessage arguments without `channel`;
a Slack thread-layout reply gets its `thread_ts` from the sender, so it is absent here).
With --html OUT it writes a page that looks like the Discord and Slack posts (both, or the
--platform given), drawn from those same bodies (`bot.render.html_preview`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli._digest import add_digest_arguments, check_digest_arguments

if TYPE_CHECKING:
    from bot.compose.digest import Composed
    from bot.models import Digest
    from bot.render.html_preview import Pane

PLATFORMS = ["discord", "slack"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "preview",
        help="show how a digest will look on Discord or Slack",
        description="Render a digest for a platform, as `post` would send it: a terminal "
        "preview, with --json one line holding a JSON array of the exact request bodies, or "
        "with --html OUT a page that looks like the posts on Discord and Slack.",
    )
    add_digest_arguments(parser)
    parser.add_argument(
        "--platform", choices=PLATFORMS, help="required, except with --html (default: both)"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print request bodies as JSON")
    output.add_argument(
        "--html",
        type=Path,
        metavar="OUT",
        help="write an HTML page that looks like the posts on Discord and Slack",
    )
    parser.set_defaults(handler=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    # Heavy imports stay here so `papers-bot --help` is instant.
    from bot.cli._digest import compose_file, render_options_from  # noqa: PLC0415
    from bot.models import Platform  # noqa: PLC0415
    from bot.render.platforms import render_digest  # noqa: PLC0415

    check_digest_arguments(args.parser, args)
    if args.platform is None and args.html is None:
        args.parser.error("the following arguments are required: --platform")
    if args.file is not None:
        composed = asyncio.run(compose_file(args.file, args))
    else:
        composed = asyncio.run(_stored_day(args))
    options = render_options_from(args)
    platforms = [Platform(args.platform)] if args.platform else list(Platform)
    panes = [(p, render_digest(p, composed.digest, composed.papers, options)) for p in platforms]
    if args.html is not None:
        return _write_html(args.html, composed.digest, panes)
    ((_, messages),) = panes
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


def _write_html(path: Path, digest: Digest, panes: Sequence[Pane]) -> int:
    from bot.render.html_preview import preview_page  # noqa: PLC0415

    page = preview_page(
        panes, title=f"papers-bot preview · {digest.date.isoformat()}", language=digest.language
    )
    path.write_text(page, encoding="utf-8")
    counts = ", ".join(f"{platform.value} {len(messages)}" for platform, messages in panes)
    print(f"wrote {path} (messages: {counts})")
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


async def _stored_day(args: argparse.Namespace) -> Composed:
    from bot.cli._digest import compose_stored, no_digest  # noqa: PLC0415
    from bot.config import load_settings  # noqa: PLC0415
    from bot.store import open_store  # noqa: PLC0415

    settings = load_settings()
    async with open_store(settings.resolved_database_url) as store:
        composed = await compose_stored(store, args.date, args)
    if composed is None:
        raise no_digest(args.date)
    return composed
