"""Where a channel's posts go in this process: which adapter and which target string.

Bot channels name a channel id. Webhook destinations (DISCORD_WEBHOOK_URLS,
SLACK_WEBHOOK_URLS) have no slash commands, so each gets an implicit subscription with the
configured defaults, stored under its label in the reserved `webhook` workspace; the URL
itself is a secret and stays in the configuration, looked up by label at send time. A dry
run (no platform at all) posts to the console: one channel (`CONSOLE_CHANNEL`, in the
reserved `dry-run` workspace) subscribed with the same defaults, scheduled like any other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.adapters.destinations import Destination, configured_webhooks
from bot.commands.env import CommandDefaults
from bot.config import Settings
from bot.errors import PapersBotError
from bot.models import (
    CONSOLE_WORKSPACE,
    WEBHOOK_WORKSPACE,
    ChannelRef,
    Platform,
    Transport,
)
from bot.store import Store

log = logging.getLogger(__name__)

WEBHOOK_ACTOR = "config"
CONSOLE_ACTOR = "dry-run"
CONSOLE_CHANNEL = ChannelRef(Platform.DISCORD, CONSOLE_WORKSPACE, "stdout")
"""A dry run's one channel: stdout, shown as Discord would show it."""


class UnroutableError(PapersBotError):
    """A channel this process is not configured to post to."""


@dataclass(frozen=True, slots=True)
class Route:
    platform: Platform
    transport: Transport
    target: str
    """Channel id, webhook URL (a secret) or console label."""
    label: str
    """For logs and limiter keys: never a secret."""
    workspace: str


class Router:
    """Turns a stored channel into a route for this process."""

    def __init__(self, settings: Settings) -> None:
        self._webhooks = {d.label: d for d in configured_webhooks(settings)}
        self._dry_run = settings.is_dry_run
        self._bots = {
            Platform.DISCORD: settings.has_discord_bot,
            Platform.SLACK: settings.has_slack_bot,
        }

    @property
    def webhooks(self) -> list[Destination]:
        return list(self._webhooks.values())

    def platforms(self) -> list[Platform]:
        """The platforms this process can post to (console posts use Discord bodies)."""
        found = [p for p, on in self._bots.items() if on]
        found += [d.platform for d in self._webhooks.values()]
        if self._dry_run:
            found.append(Platform.DISCORD)
        return list(dict.fromkeys(found))

    def can_route(self, channel: ChannelRef) -> bool:
        try:
            self.route(channel)
        except UnroutableError:
            return False
        return True

    def route(self, channel: ChannelRef) -> Route:
        transport = channel.transport
        if transport is Transport.CONSOLE:
            if not self._dry_run:
                raise UnroutableError("dry-run console posts are only made in a dry run")
            label = channel.channel_id
            return Route(channel.platform, transport, label, label, CONSOLE_WORKSPACE)
        if transport is Transport.WEBHOOK:
            found = self._webhooks.get(channel.channel_id)
            if found is None or found.platform is not channel.platform:
                raise UnroutableError(
                    f"{channel.channel_id} is no longer in the configured webhooks"
                )
            return Route(channel.platform, transport, found.address, found.label, found.label)
        if not self._bots.get(channel.platform, False):
            raise UnroutableError(f"no {channel.platform.value} bot token is configured")
        return Route(
            channel.platform, transport, channel.channel_id, channel.label, channel.workspace_id
        )


async def sync_configured_targets(store: Store, router: Router, settings: Settings) -> None:
    """Give every configured webhook, and in a dry run the console, its implicit
    subscription with the defaults `/subscribe` gives (settings kept if it exists); drop
    every other console subscription (outside a dry run all of them; in one, those of
    versions that kept one per source)."""
    defaults = CommandDefaults.from_settings(settings).new_settings()
    implicit = [
        (ChannelRef(d.platform, WEBHOOK_WORKSPACE, d.label), WEBHOOK_ACTOR, f"webhook {d.label}")
        for d in router.webhooks
    ]
    if settings.is_dry_run:
        implicit.append((CONSOLE_CHANNEL, CONSOLE_ACTOR, "the console"))
    for channel, actor, name in implicit:
        if await store.subscriptions.get(channel) is None:
            await store.subscriptions.save(channel, defaults, actor=actor)
            log.info("%s subscribed with the default settings", name)
    for sub in await store.subscriptions.list(workspace_id=CONSOLE_WORKSPACE):
        if sub.channel != CONSOLE_CHANNEL or not settings.is_dry_run:
            await store.subscriptions.delete(sub.channel)
