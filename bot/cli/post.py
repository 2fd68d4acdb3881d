"""`papers-bot post [--date D | FILE] --to discord:<id> --to slack:<id> --to webhook:<url>
[--dry-run]`: send one digest now, through the same adapters the running bot uses.

The digest is composed exactly as `preview` shows it (same options, same defaults, the
same composer as scheduled posts). --date D reads the day from the archive; only a day the
archive lacks is fetched from the configured sources (and saved), so a stored day posts
with every source unreachable.

This is the one direct send: it writes no outbox row, for one-off posts to any channel
with no bot running. Messages carry idempotency keys, so a re-run inside Discord's nonce
window is a no-op; otherwise a re-run posts again. Scheduled posts and /digest go through
the outbox (exactly once).

Without --to, the configured webhooks (DISCORD_WEBHOOK_URLS, SLACK_WEBHOOK_URLS) are the
destinations; with --dry-run, or when nothing is configured at all, every message is
printed as JSON instead of sent. One failing destination does not stop the others; the exit
status is 1 when any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from bot.cli._digest import add_digest_arguments, check_digest_arguments
from bot.errors import PapersBotError

if TYPE_CHECKING:
    import aiohttp

    from bot.adapters.base import Adapter, Receipt
    from bot.adapters.destinations import Destination
    from bot.compose.digest import Composed
    from bot.config import Settings
    from bot.render.message import RenderedMessage


class PostArgumentError(PapersBotError):
    """The command line names no digest or no usable destination."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "post",
        help="send one digest to Discord/Slack now",
        description="Compose a digest as `preview` shows it and post it to the given "
        "destinations directly (no outbox row: scheduled posts and /digest use the outbox).",
    )
    add_digest_arguments(parser)
    parser.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="DEST",
        help="discord:<channel_id>, slack:<channel_id> or webhook:<url> (repeatable)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print instead of sending")
    parser.set_defaults(handler=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    from bot.adapters.destinations import configured_webhooks, parse_destination  # noqa: PLC0415
    from bot.config import load_settings  # noqa: PLC0415

    check_digest_arguments(args.parser, args)
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
    from bot.adapters.factory import AdapterPool  # noqa: PLC0415
    from bot.logs import configure_logging  # noqa: PLC0415
    from bot.models import Platform, Transport  # noqa: PLC0415
    from bot.sources.http import client_timeout  # noqa: PLC0415

    configure_logging(settings)
    async with aiohttp.ClientSession(timeout=client_timeout(settings.http_timeout)) as session:
        composed = await _compose(args, settings, session)
        async with AdapterPool(settings, session) as pool:
            if dry_run:
                console = await pool.get(Platform.DISCORD, Transport.CONSOLE)
                for destination in destinations or _dry_run_defaults():
                    await _send_all(console, destination, _render(args, composed, destination))
                return 0
            failed = 0
            for destination in destinations:
                try:
                    adapter = await pool.get(destination.platform, destination.transport)
                    messages = _render(args, composed, destination)
                    sent = len(await _send_all(adapter, destination, messages))
                except AdapterError as exc:
                    failed += 1
                    print(f"{destination.label}: failed: {exc}", file=sys.stderr)
                else:
                    print(f"{destination.label}: posted {sent} message(s)")
            return 1 if failed else 0


def _dry_run_defaults() -> list[Destination]:
    """With nothing named, a dry run shows both platforms' bodies."""
    from bot.adapters.destinations import Destination  # noqa: PLC0415
    from bot.models import Platform, Transport  # noqa: PLC0415

    return [
        Destination(Platform.DISCORD, Transport.BOT, "dry-run"),
        Destination(Platform.SLACK, Transport.BOT, "dry-run"),
    ]


async def _send_all(
    adapter: Adapter, destination: Destination, messages: list[RenderedMessage]
) -> list[Receipt]:
    """In order; thread replies go under the first message. Keys make a re-run within
    Discord's nonce window a no-op rather than a double post."""
    receipts: list[Receipt] = []
    for index, message in enumerate(messages):
        parent = receipts[0] if message.in_thread and receipts else None
        day = message.meta.get("date", "")
        key = f"post:{destination.label}:{day}:{index}"
        receipts.append(
            await adapter.send(destination.address, message, reply_to=parent, idempotency_key=key)
        )
    return receipts


def _render(
    args: argparse.Namespace, composed: Composed, destination: Destination
) -> list[RenderedMessage]:
    from bot.cli._digest import render_options_from  # noqa: PLC0415
    from bot.render.platforms import render_digest  # noqa: PLC0415

    return render_digest(
        destination.platform, composed.digest, composed.papers, render_options_from(args)
    )


async def _compose(
    args: argparse.Namespace, settings: Settings, session: aiohttp.ClientSession
) -> Composed:
    from bot.cli._digest import compose_file, compose_stored, no_digest  # noqa: PLC0415
    from bot.store import open_store  # noqa: PLC0415

    if args.file is not None:
        return await compose_file(args.file, args)
    async with open_store(settings.resolved_database_url) as store:
        composed = await compose_stored(store, args.date, args)
        if composed is None:
            fetched = await _fetch_day(args, settings, session, store)
            composed = await compose_stored(store, args.date, args)
            if composed is None:
                raise no_digest(args.date, f" and the sources answered: {fetched}")
    return composed


async def _fetch_day(
    args: argparse.Namespace,
    settings: Settings,
    session: aiohttp.ClientSession,
    store: Any,
) -> str:
    """Fetch and save the day from the configured sources; returns what they answered."""
    from prometheus_client import CollectorRegistry  # noqa: PLC0415

    from bot.app import check_sources  # noqa: PLC0415
    from bot.models import SourceKind  # noqa: PLC0415
    from bot.poller import Poller, PollMetrics, PollSettings  # noqa: PLC0415
    from bot.sources.http import Fetcher  # noqa: PLC0415

    poller = Poller(
        PollSettings.from_settings(settings),
        Fetcher.from_settings(session, settings),
        store,
        PollMetrics(CollectorRegistry()),
    )
    wanted = [SourceKind(name) for name in args.source] or check_sources(settings)
    answers = []
    for kind in wanted:
        if kind is SourceKind.FEED:
            continue  # feeds are not addressed by day
        outcome = await poller.poll_day(kind, args.date)
        answers.append(f"{kind.value} {outcome.error or outcome.status}")
    return "; ".join(answers) or "no source fetches by day"
