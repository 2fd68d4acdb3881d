"""Where the bot can post, written as text: `discord:<channel_id>`, `slack:<channel_id>`
or `webhook:<url>` (the URL's shape tells Discord from Slack), and the webhooks configured
in DISCORD_WEBHOOK_URLS / SLACK_WEBHOOK_URLS.

Plain parsing with no platform SDK, so delivery routing can read it without loading
discord.py or slack-sdk. A webhook URL is a secret (its last segment is the token): logs
and errors name a webhook by its label (its id) only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config import Settings
from bot.errors import PapersBotError
from bot.models import Platform, Transport

_WEBHOOK_URL = re.compile(
    r"^(?P<base>https?://[^/]+(?:/[^?#]*?)?)/webhooks/(?P<id>\d{1,20})/(?P<token>[\w-]+)/?$"
)


@dataclass(frozen=True, slots=True)
class DiscordWebhookUrl:
    base: str
    webhook_id: int
    token: str

    @property
    def label(self) -> str:
        return f"discord-webhook:{self.webhook_id}"


def parse_webhook_url(url: str) -> DiscordWebhookUrl | None:
    """Split `<base>/webhooks/<id>/<token>`; None when the URL is not that shape."""
    match = _WEBHOOK_URL.match(url.strip())
    if match is None:
        return None
    return DiscordWebhookUrl(match["base"], int(match["id"]), match["token"])


def webhook_label(url: str) -> str:
    parts = url.rstrip("/").split("/")
    return f"slack-webhook:{parts[-2]}" if len(parts) >= 3 else "slack-webhook"


def is_slack_webhook_url(url: str) -> bool:
    return "/services/" in url and url.startswith(("http://", "https://"))


class DestinationError(PapersBotError):
    """A destination string that names no place the bot can post to."""


@dataclass(frozen=True, slots=True)
class Destination:
    """A place to post to and how to reach it, as given on the command line or in settings."""

    platform: Platform
    transport: Transport
    address: str
    """Channel id or webhook URL (a secret: show `label`, never this)."""

    @property
    def label(self) -> str:
        if self.transport is Transport.WEBHOOK and self.platform is Platform.DISCORD:
            url = parse_webhook_url(self.address)
            return url.label if url else "discord-webhook"
        if self.transport is Transport.WEBHOOK:
            return webhook_label(self.address)
        return f"{self.platform.value}:{self.address}"


def webhook_destination(url: str) -> Destination:
    if parse_webhook_url(url) is not None:
        return Destination(Platform.DISCORD, Transport.WEBHOOK, url)
    if is_slack_webhook_url(url):
        return Destination(Platform.SLACK, Transport.WEBHOOK, url)
    raise DestinationError(
        "webhook URL is neither a Discord (…/webhooks/<id>/<token>) "
        "nor a Slack (…/services/T/B/X) webhook"
    )


def parse_destination(text: str) -> Destination:
    scheme, sep, rest = text.strip().partition(":")
    rest = rest.strip()
    if not sep or not rest:
        raise DestinationError(
            f"expected discord:<channel_id>, slack:<channel_id> or webhook:<url>, got {scheme!r}"
        )
    if scheme == "webhook":
        return webhook_destination(rest)
    if scheme == "discord":
        if not rest.isdigit():
            raise DestinationError(f"a Discord channel id is a number, got {rest!r}")
        return Destination(Platform.DISCORD, Transport.BOT, rest)
    if scheme == "slack":
        if not rest.replace("_", "").isalnum():
            raise DestinationError(f"a Slack channel id looks like C0123ABC, got {rest!r}")
        return Destination(Platform.SLACK, Transport.BOT, rest)
    raise DestinationError(f"unknown destination kind {scheme!r} (discord, slack, webhook)")


def configured_webhooks(settings: Settings) -> list[Destination]:
    """The post-only destinations from DISCORD_WEBHOOK_URLS and SLACK_WEBHOOK_URLS."""
    urls = settings.discord_webhook_urls + settings.slack_webhook_urls
    return [webhook_destination(url.get_secret_value()) for url in urls]
