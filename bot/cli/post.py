"""`papers-bot post [--date D | FILE] --to discord:<id> --to slack:<id> --to webhook:<url>
[--dry-run]`: post one digest now, through the outbox and the delivery worker, like
scheduled posts and /digest.

The digest is composed exactly as `preview` shows it (same options, same defaults, the same
composer as scheduled posts). --date D reads the day from the archive; only a day the
archive lacks is fetched from the configured sources (and saved), so a stored day posts
with every source unreachable.

Each destination gets an outbox row, once per channel and day: a re-run, or a day the
channel already got from its schedule or /digest, is reported and not posted again. The
row is sent at once by this process (rate limits, retries of a 429, look-up before a
re-send); one that fails is left in the outbox for the running bot to retry. A channel
that has a subscription is recorded under it (its /subscription shows the post).

Two paths skip the outbox on purpose: --dry-run (or nothing configured at all) prints the
exact request bodies and sends nothing, and a `webhook:<url>` that is not one of the
configured webhooks is sent directly, because its URL is a secret the database must never
hold. Without --to, the configured webhooks (DISCORD_WEBHOOK_URLS, SLACK_WEBHOOK_URLS) are
the destinations. One failing destination does not stop the others; the exit status is 1
when any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.cli._digest import add_digest_arguments, check_digest_arguments

if TYPE_CHECKING:
    import aiohttp

    from bot.adapters.base import Adapter, Receipt
    from bot.adapters.destinations import Destination
    from bot.adapters.factory import AdapterPool
    from bot.compose.digest import Composed
    from bot.config import Settings
    from bot.delivery.engine import DeliveryEngine
    from bot.delivery.planner import QueuedDigest
    from bot.models import ChannelRef
    from bot.render.message import RenderedMessage
    from bot.store import Store
    from bot.store.rows import Subscription

CLI_WORKSPACE = "cli"
"""The workspace of a bot channel named on the command line that no subscription names:
the bot has not seen its Discord guild or Slack team."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "post",
        help="post one digest to Discord/Slack now",
        description="Compose a digest as `preview` shows it and post it now through the "
        "outbox, once per channel and day. --dry-run prints the request bodies instead; a "
        "webhook URL that is not configured is sent directly (its secret is never stored).",
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
    from bot.adapters.destinations import DestinationError, parse_destination  # noqa: PLC0415
    from bot.cli._targets import configured_webhooks  # noqa: PLC0415
    from bot.config import load_settings  # noqa: PLC0415

    check_digest_arguments(args.parser, args)
    try:
        named = [parse_destination(text) for text in args.to]
    except DestinationError as exc:
        args.parser.error(f"argument --to: {exc}")
    settings = load_settings()
    configured = configured_webhooks(settings)  # checked even with --to: `one` reads them too
    destinations = named or configured
    dry_run = args.dry_run or (not args.to and settings.is_dry_run)
    if not destinations and not dry_run:
        args.parser.error("no destination: give --to, or configure webhook URLs")
    return asyncio.run(_post(args, settings, destinations, dry_run=dry_run))


async def _post(
    args: argparse.Namespace, settings: Settings, destinations: list[Destination], *, dry_run: bool
) -> int:
    import aiohttp  # noqa: PLC0415

    from bot.adapters.factory import AdapterPool  # noqa: PLC0415
    from bot.logs import configure_logging  # noqa: PLC0415
    from bot.sources.http import client_timeout  # noqa: PLC0415
    from bot.store import open_store  # noqa: PLC0415

    configure_logging(settings)
    async with aiohttp.ClientSession(timeout=client_timeout(settings.http_timeout)) as session:
        if dry_run:
            return await _print_bodies(args, settings, session, destinations)
        async with (
            open_store(settings.resolved_database_url) as store,
            AdapterPool(settings, session) as pool,
        ):
            composed = await _compose(args, settings, session, store)
            engine = _engine(settings, store, pool)
            posting = _Posting(args, settings, store, pool, composed, engine)
            failed = 0
            for destination in destinations:
                line, ok = await posting.one(destination)
                print(line, file=sys.stdout if ok else sys.stderr)
                failed += not ok
            return 1 if failed else 0


@dataclass(frozen=True, slots=True)
class _Posting:
    """One composed digest on its way to the destinations of one `post` run."""

    args: argparse.Namespace
    settings: Settings
    store: Store
    pool: AdapterPool
    composed: Composed
    engine: DeliveryEngine

    async def one(self, destination: Destination) -> tuple[str, bool]:
        """What happened at one destination, in one line, and whether it went well."""
        from bot.adapters.base import AdapterError  # noqa: PLC0415
        from bot.cli._targets import configured_webhooks  # noqa: PLC0415
        from bot.models import Transport  # noqa: PLC0415

        label = destination.label
        configured = {d.label for d in configured_webhooks(self.settings)}
        if destination.transport is not Transport.WEBHOOK or label in configured:
            return await self.through_outbox(destination)
        messages = _render(self.args, self.composed, destination)
        try:
            adapter = await self.pool.get(destination.platform, destination.transport)
            sent = await _send_direct(adapter, destination, messages)
        except AdapterError as exc:
            return f"{label}: failed: {exc}", False
        return f"{label}: posted {len(sent)} message(s) directly (webhook not configured)", True

    async def through_outbox(self, destination: Destination) -> tuple[str, bool]:
        from bot.cli._digest import settings_from  # noqa: PLC0415
        from bot.store.rows import DeliveryState  # noqa: PLC0415

        label = destination.label
        channel, subscription = await _channel_of(self.store, destination)
        settings = settings_from(self.args)
        if subscription is not None:  # a subscribed forum gets a forum post
            settings = dataclasses.replace(
                settings, channel_kind=subscription.settings.channel_kind
            )
        engine = self.engine
        queued = await engine.planner.queue(
            channel,
            self.composed,
            settings,
            subscription=subscription.id if subscription is not None else None,
        )
        day = self.composed.day.isoformat()
        if queued.papers == 0:
            return f"{label}: no paper of {day} passes the options; nothing posted", True
        if not queued.created:
            return f"{label}: the digest of {day} was already {_state_words(queued)}", True
        assert queued.delivery_id is not None
        await engine.worker.deliver_now([queued.delivery_id])
        row = await self.store.deliveries.get(queued.delivery_id)
        if row is not None and row.state is DeliveryState.SENT:
            return f"{label}: posted {queued.messages} message(s)", True
        if row is not None and row.state is DeliveryState.PENDING:
            return f"{label}: queued behind an earlier post there; the running bot sends it", True
        problem = row.last_error if row is not None else "the outbox row is gone"
        return f"{label}: failed: {problem} (left in the outbox for the running bot)", False


def _state_words(queued: QueuedDigest) -> str:
    from bot.store.rows import DeliveryState  # noqa: PLC0415

    if queued.state is DeliveryState.SENT and queued.sent_at is not None:
        return f"posted there at {queued.sent_at:%Y-%m-%d %H:%M} UTC; not posted again"
    return f"queued there ({queued.state.value}); not queued again"


def _engine(settings: Settings, store: Store, pool: AdapterPool) -> DeliveryEngine:
    """The running bot's planner and worker, built the same way, never started: this
    process claims only the rows it plans (no claim loop, no lease take-over)."""
    from prometheus_client import CollectorRegistry  # noqa: PLC0415

    from bot.delivery.engine import DeliveryEngine  # noqa: PLC0415
    from bot.poller import utc_now  # noqa: PLC0415
    from bot.scheduler import Scheduler  # noqa: PLC0415

    return DeliveryEngine(settings, store, pool, Scheduler(), CollectorRegistry(), clock=utc_now)


async def _channel_of(
    store: Store, destination: Destination
) -> tuple[ChannelRef, Subscription | None]:
    """The channel an outbox row names, and its subscription if it has one: a configured
    webhook by its label, a bot channel as its subscription stored it."""
    from bot.models import WEBHOOK_WORKSPACE, ChannelRef, Transport  # noqa: PLC0415

    if destination.transport is Transport.WEBHOOK:
        channel = ChannelRef(destination.platform, WEBHOOK_WORKSPACE, destination.label)
        return channel, await store.subscriptions.get(channel)
    subs = await store.subscriptions.list(
        platform=destination.platform, channel_id=destination.address
    )
    if subs:
        return subs[0].channel, subs[0]
    return ChannelRef(destination.platform, CLI_WORKSPACE, destination.address), None


async def _print_bodies(
    args: argparse.Namespace,
    settings: Settings,
    session: aiohttp.ClientSession,
    destinations: list[Destination],
) -> int:
    """The dry run: the exact bodies on stdout, nothing sent, nothing stored."""
    from bot.adapters.console import ConsoleAdapter  # noqa: PLC0415

    if args.date is not None:
        from bot.store import open_store  # noqa: PLC0415

        async with open_store(settings.resolved_database_url) as store:
            composed = await _compose(args, settings, session, store)
    else:
        composed = await _compose(args, settings, session, None)
    console = ConsoleAdapter()
    for destination in destinations or _dry_run_defaults():
        await _send_direct(console, destination, _render(args, composed, destination))
    return 0


def _dry_run_defaults() -> list[Destination]:
    """With nothing named, a dry run shows both platforms' bodies."""
    from bot.adapters.destinations import Destination  # noqa: PLC0415
    from bot.models import Platform, Transport  # noqa: PLC0415

    return [
        Destination(Platform.DISCORD, Transport.BOT, "dry-run"),
        Destination(Platform.SLACK, Transport.BOT, "dry-run"),
    ]


async def _send_direct(
    adapter: Adapter, destination: Destination, messages: list[RenderedMessage]
) -> list[Receipt]:
    """In order; thread replies go under the first message (the console and webhooks
    only: everything else goes through the outbox)."""
    receipts: list[Receipt] = []
    for index, message in enumerate(messages):
        parent = receipts[0] if message.in_thread and receipts else None
        key = f"post:{destination.label}:{message.meta.get('date', '')}:{index}"
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
    args: argparse.Namespace,
    settings: Settings,
    session: aiohttp.ClientSession,
    store: Store | None,
) -> Composed:
    from bot.cli._digest import compose_file, compose_stored, no_digest  # noqa: PLC0415

    if args.file is not None:
        return await compose_file(args.file, args)
    assert store is not None
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
    store: Store,
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
