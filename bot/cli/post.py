"""`papers-bot post [--date D | FILE] --to discord:<id> --to slack:<id> --to webhook:<url>
[--dry-run]`: send one digest now, through the same adapters the running bot uses.

Without --to, the configured webhooks (DISCORD_WEBHOOK_URLS, SLACK_WEBHOOK_URLS) are the
destinations; with --dry-run, or when nothing is configured at all, every message is
printed as JSON instead of sent. One failing destination does not stop the others; the exit
status is 1 when any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli._types import iso_day, non_negative_int
from bot.errors import PapersBotError

if TYPE_CHECKING:
    import aiohttp

    from bot.adapters.base import Adapter, Receipt
    from bot.adapters.factory import Destination
    from bot.config import Settings
    from bot.models import Digest
    from bot.render.message import RenderedMessage


class PostArgumentError(PapersBotError):
    """The command line names no digest or no usable destination."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "post",
        help="send one digest to Discord/Slack now",
        description="Render a digest and post it to the given destinations.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", metavar="FILE", type=Path, nargs="?", help="digest file")
    source.add_argument("--date", type=iso_day, metavar="D", help="fetch the digest of day D")
    parser.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="DEST",
        help="discord:<channel_id>, slack:<channel_id> or webhook:<url> (repeatable)",
    )
    parser.add_argument(
        "--top", type=non_negative_int, default=10, metavar="N", help="best N papers"
    )
    parser.add_argument("--min-votes", type=non_negative_int, default=0, metavar="V")
    parser.add_argument("--layout", choices=["channel", "thread"], default="channel")
    parser.add_argument("--dry-run", action="store_true", help="print instead of sending")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.adapters.factory import configured_webhooks, parse_destination  # noqa: PLC0415
    from bot.config import load_settings  # noqa: PLC0415

    settings = load_settings()
    destinations = [parse_destination(text) for text in args.to] or configured_webhooks(settings)
    dry_run = args.dry_run or (not args.to and settings.is_dry_run)
    if not destinations and not dry_run:
        raise PostArgumentError("no destination: give --to, or configure webhook URLs")
    return asyncio.run(_post(args, settings, destinations, dry_run=dry_run))


async def _post(
    args: argparse.Namespace, settings: Settings, destinations: list[Destination], *, dry_run: bool
) -> int:
    import aiohttp  # noqa: PLC0415

    from bot.adapters.base import AdapterError  # noqa: PLC0415
    from bot.adapters.factory import AdapterPool, DestinationKind  # noqa: PLC0415
    from bot.logs import configure_logging  # noqa: PLC0415

    configure_logging(settings)
    timeout = aiohttp.ClientTimeout(total=settings.http_timeout)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        digest = await _load_digest(args, settings, session)
        async with AdapterPool(settings, session) as pool:
            if dry_run:
                console = await pool.get(DestinationKind.CONSOLE)
                for destination in destinations or _dry_run_defaults():
                    messages = _render(args, digest, destination)
                    await _send_all(console, destination, messages, digest)
                return 0
            failed = 0
            for destination in destinations:
                try:
                    adapter = await pool.get(destination.kind)
                    messages = _render(args, digest, destination)
                    sent = len(await _send_all(adapter, destination, messages, digest))
                except AdapterError as exc:
                    failed += 1
                    print(f"{destination.label}: failed: {exc}", file=sys.stderr)
                else:
                    print(f"{destination.label}: posted {sent} message(s)")
            return 1 if failed else 0


def _dry_run_defaults() -> list[Destination]:
    """With nothing named, a dry run shows both platforms' bodies."""
    from bot.adapters.factory import Destination, DestinationKind  # noqa: PLC0415
    from bot.render.message import Platform  # noqa: PLC0415

    return [
        Destination(DestinationKind.DISCORD, "dry-run", Platform.DISCORD),
        Destination(DestinationKind.SLACK, "dry-run", Platform.SLACK),
    ]


async def _send_all(
    adapter: Adapter, destination: Destination, messages: list[RenderedMessage], digest: Digest
) -> list[Receipt]:
    """In order; thread replies go under the first message. Keys make a re-run within
    Discord's nonce window a no-op rather than a double post."""
    receipts: list[Receipt] = []
    for index, message in enumerate(messages):
        parent = receipts[0] if message.in_thread and receipts else None
        key = f"post:{destination.label}:{digest.date.isoformat()}:{index}"
        receipts.append(
            await adapter.send(destination.address, message, reply_to=parent, idempotency_key=key)
        )
    return receipts


def _render(
    args: argparse.Namespace, digest: Digest, destination: Destination
) -> list[RenderedMessage]:
    from bot.render.discord import render_discord_digest  # noqa: PLC0415
    from bot.render.message import Platform  # noqa: PLC0415
    from bot.render.options import RenderOptions, SlackLayout  # noqa: PLC0415
    from bot.render.slack import render_slack_digest  # noqa: PLC0415
    from bot.selection import Selection, select_papers  # noqa: PLC0415

    papers = select_papers(digest.papers, Selection(top_n=args.top, min_votes=args.min_votes))
    options = RenderOptions(slack_layout=SlackLayout(args.layout))
    if destination.platform is Platform.DISCORD:
        return render_discord_digest(digest, papers, options=options)
    return render_slack_digest(digest, papers, options=options)


async def _load_digest(
    args: argparse.Namespace, settings: Settings, session: aiohttp.ClientSession
) -> Digest:
    if args.file is not None:
        from bot.sources.files import load_digest_file  # noqa: PLC0415

        return await asyncio.to_thread(load_digest_file, args.file)
    from bot.sources.dated import fetch_markdown_day  # noqa: PLC0415
    from bot.sources.http import Fetcher  # noqa: PLC0415

    result = await fetch_markdown_day(
        Fetcher.from_settings(session, settings), settings.digest_url_template, args.date
    )
    if result.digest is None:
        raise PostArgumentError(f"no digest published for {args.date} at {result.url}")
    return result.digest
