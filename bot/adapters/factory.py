"""Turning settings and destination strings into started adapters.

Destinations are written `discord:<channel_id>`, `slack:<channel_id>` or `webhook:<url>`
(the URL's shape tells Discord from Slack). A pool builds each adapter on first use and
stops them all at the end, so a run that only posts to Slack never logs in to Discord.
Whoever needs to attach handlers (the slash commands) passes `on_built`: platform SDKs take
handlers only before they connect, and a retried login builds a fresh adapter each time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TextIO

import aiohttp

from bot.adapters.base import Adapter
from bot.adapters.console import ConsoleAdapter
from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_webhook import DiscordWebhookAdapter, parse_webhook_url
from bot.adapters.slack_bot import SlackBotAdapter
from bot.adapters.slack_webhook import SlackWebhookAdapter, is_slack_webhook_url, webhook_label
from bot.config import ConfigError, Settings
from bot.errors import PapersBotError
from bot.render.message import Platform


class DestinationError(PapersBotError):
    """A destination string that names no place the bot can post to."""


class DestinationKind(StrEnum):
    DISCORD = "discord"
    SLACK = "slack"
    DISCORD_WEBHOOK = "discord-webhook"
    SLACK_WEBHOOK = "slack-webhook"
    CONSOLE = "console"


_PLATFORM = {
    DestinationKind.DISCORD: Platform.DISCORD,
    DestinationKind.DISCORD_WEBHOOK: Platform.DISCORD,
    DestinationKind.SLACK: Platform.SLACK,
    DestinationKind.SLACK_WEBHOOK: Platform.SLACK,
}


@dataclass(frozen=True, slots=True)
class Destination:
    kind: DestinationKind
    address: str
    """Channel id or webhook URL (a secret: show `label`, never this)."""
    platform: Platform

    @property
    def label(self) -> str:
        if self.kind is DestinationKind.DISCORD_WEBHOOK:
            url = parse_webhook_url(self.address)
            return url.label if url else "discord-webhook"
        if self.kind is DestinationKind.SLACK_WEBHOOK:
            return webhook_label(self.address)
        return f"{self.kind.value}:{self.address}"


def webhook_destination(url: str) -> Destination:
    if parse_webhook_url(url) is not None:
        return Destination(DestinationKind.DISCORD_WEBHOOK, url, Platform.DISCORD)
    if is_slack_webhook_url(url):
        return Destination(DestinationKind.SLACK_WEBHOOK, url, Platform.SLACK)
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
        return Destination(DestinationKind.DISCORD, rest, Platform.DISCORD)
    if scheme == "slack":
        if not rest.replace("_", "").isalnum():
            raise DestinationError(f"a Slack channel id looks like C0123ABC, got {rest!r}")
        return Destination(DestinationKind.SLACK, rest, Platform.SLACK)
    raise DestinationError(f"unknown destination kind {scheme!r} (discord, slack, webhook)")


def configured_webhooks(settings: Settings) -> list[Destination]:
    """The post-only destinations from DISCORD_WEBHOOK_URLS and SLACK_WEBHOOK_URLS."""
    urls = settings.discord_webhook_urls + settings.slack_webhook_urls
    return [webhook_destination(url.get_secret_value()) for url in urls]


def _required(value: object, name: str) -> str:
    secret = getattr(value, "get_secret_value", None)
    text = secret() if secret is not None else value
    if not text:
        raise ConfigError(f"{name} is not set")
    return str(text)


def build_adapter(
    kind: DestinationKind,
    settings: Settings,
    session: aiohttp.ClientSession,
    *,
    connect_gateway: bool = False,
    console_stream: TextIO | None = None,
) -> Adapter:
    """A new, not yet started adapter for one kind of destination."""
    timeout = settings.http_timeout
    if kind is DestinationKind.DISCORD:
        return DiscordBotAdapter(
            token=_required(settings.discord_token, "DISCORD_TOKEN"),
            api_base=settings.discord_api_base,
            gateway_url=settings.discord_gateway_url,
            application_id=settings.discord_application_id,
            timeout=timeout,
            connect_gateway=connect_gateway,
        )
    if kind is DestinationKind.SLACK:
        return SlackBotAdapter(
            token=_required(settings.slack_bot_token, "SLACK_BOT_TOKEN"),
            session=session,
            api_base=settings.slack_api_base,
            signing_secret=(
                settings.slack_signing_secret.get_secret_value()
                if settings.slack_signing_secret
                else None
            ),
            app_token=(
                settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
            ),
            timeout=timeout,
        )
    if kind is DestinationKind.DISCORD_WEBHOOK:
        return DiscordWebhookAdapter(session, timeout=timeout)
    if kind is DestinationKind.SLACK_WEBHOOK:
        return SlackWebhookAdapter(session, timeout=timeout)
    return ConsoleAdapter(console_stream)


AdapterHook = Callable[[Adapter], None]
"""Called with each new adapter after it is built and before it starts."""


class AdapterPool:
    """Builds and starts each adapter once, on first use; `stop()` stops what was started.

    `connect_gateway` is for the long-running bot only: a Discord gateway is where slash
    commands arrive, and `papers-bot post` has no use for one.
    """

    def __init__(
        self,
        settings: Settings,
        session: aiohttp.ClientSession,
        *,
        connect_gateway: bool = False,
        console_stream: TextIO | None = None,
        on_built: AdapterHook | None = None,
    ) -> None:
        self._settings = settings
        self._session = session
        self._connect_gateway = connect_gateway
        self._console_stream = console_stream
        self._on_built = on_built
        self._started: dict[DestinationKind, Adapter] = {}

    def started(self, kind: DestinationKind) -> Adapter | None:
        """The adapter of this kind if it is up, without starting (or retrying) one."""
        return self._started.get(kind)

    async def get(self, kind: DestinationKind) -> Adapter:
        adapter = self._started.get(kind)
        if adapter is None:
            adapter = build_adapter(
                kind,
                self._settings,
                self._session,
                connect_gateway=self._connect_gateway,
                console_stream=self._console_stream,
            )
            try:
                if self._on_built is not None:
                    self._on_built(adapter)
                await adapter.start()
            except BaseException:
                await adapter.stop()  # a half-started client still holds a session
                raise
            self._started[kind] = adapter
        return adapter

    async def stop(self) -> None:
        while self._started:
            _, adapter = self._started.popitem()
            await adapter.stop()

    async def __aenter__(self) -> AdapterPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
