"""Where a subscription's posts go: which adapter, which target string, which renderer.

Bot subscriptions name a channel id. Webhook destinations (DISCORD_WEBHOOK_URLS,
SLACK_WEBHOOK_URLS) have no slash commands, so each gets an implicit subscription with the
configured defaults, stored under its label; the URL itself is a secret and stays in the
configuration, looked up by label at send time. A dry run (no platform at all) posts to the
console through implicit subscriptions in the reserved workspace `dry-run`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.adapters.factory import Destination, DestinationKind, configured_webhooks
from bot.config import Settings
from bot.errors import PapersBotError
from bot.render.message import Platform as RenderPlatform
from bot.store import Store
from bot.store.rows import ChannelRef, Platform, Subscription, SubscriptionSettings

log = logging.getLogger(__name__)

DRY_RUN_WORKSPACE = "dry-run"
WEBHOOK_WORKSPACE = "webhook"
WEBHOOK_ACTOR = "config"

_KINDS = {
    Platform.DISCORD: DestinationKind.DISCORD,
    Platform.SLACK: DestinationKind.SLACK,
    Platform.DISCORD_WEBHOOK: DestinationKind.DISCORD_WEBHOOK,
    Platform.SLACK_WEBHOOK: DestinationKind.SLACK_WEBHOOK,
}
_RENDER = {
    Platform.DISCORD: RenderPlatform.DISCORD,
    Platform.DISCORD_WEBHOOK: RenderPlatform.DISCORD,
    Platform.SLACK: RenderPlatform.SLACK,
    Platform.SLACK_WEBHOOK: RenderPlatform.SLACK,
}


class UnroutableError(PapersBotError):
    """A subscription names a destination this process is not configured for."""


@dataclass(frozen=True, slots=True)
class Route:
    kind: DestinationKind
    target: str
    """Channel id, webhook URL (a secret) or console label."""
    label: str
    """For logs and limiter keys: never a secret."""
    workspace: str


def render_platform(platform: Platform) -> RenderPlatform:
    return _RENDER[platform]


def is_console(platform: Platform, workspace_id: str) -> bool:
    return platform is Platform.DISCORD and workspace_id == DRY_RUN_WORKSPACE


class Router:
    """Turns a stored (platform, workspace, channel) into a route for this process."""

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
        """The platforms this process can post to (console posts use DISCORD bodies)."""
        found = [p for p, on in self._bots.items() if on]
        found += [Platform(d.kind.value) for d in self._webhooks.values()]
        if self._dry_run:
            found.append(Platform.DISCORD)
        return list(dict.fromkeys(found))

    def route(self, platform: Platform, workspace_id: str, channel_id: str) -> Route:
        if is_console(platform, workspace_id):
            if not self._dry_run:
                raise UnroutableError("dry-run console posts are only made in a dry run")
            return Route(DestinationKind.CONSOLE, channel_id, channel_id, DRY_RUN_WORKSPACE)
        kind = _KINDS[platform]
        if kind in (DestinationKind.DISCORD_WEBHOOK, DestinationKind.SLACK_WEBHOOK):
            found = self._webhooks.get(channel_id)
            if found is None:
                raise UnroutableError(f"{channel_id} is no longer in the configured webhooks")
            return Route(kind, found.address, found.label, found.label)
        if not self._bots.get(platform, False):
            raise UnroutableError(f"no {platform.value} bot token is configured")
        return Route(kind, channel_id, f"{platform.value}:{channel_id}", workspace_id)


async def sync_configured_targets(store: Store, router: Router, settings: Settings) -> None:
    """Give every configured webhook its implicit subscription (settings kept if it exists)
    and, outside a dry run, drop the console subscriptions a dry run left behind."""
    defaults = SubscriptionSettings(
        post_time=settings.default_post_time,
        timezone=settings.default_timezone,
        no_papers=settings.no_papers_policy,
    )
    for destination in router.webhooks:
        channel = ChannelRef(Platform(destination.kind.value), WEBHOOK_WORKSPACE, destination.label)
        if await store.subscriptions.get(channel) is None:
            await store.subscriptions.save(channel, defaults, actor=WEBHOOK_ACTOR)
            log.info("webhook %s subscribed with the default settings", destination.label)
    if not settings.is_dry_run:
        for sub in await store.subscriptions.list(workspace_id=DRY_RUN_WORKSPACE):
            await store.subscriptions.delete(sub.channel)


def console_channel(source: str) -> ChannelRef:
    return ChannelRef(Platform.DISCORD, DRY_RUN_WORKSPACE, f"dry-run:{source}")


def is_implicit(subscription: Subscription) -> bool:
    return subscription.channel.workspace_id == DRY_RUN_WORKSPACE
