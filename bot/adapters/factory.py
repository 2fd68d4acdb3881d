"""Turning settings into started adapters.

A pool builds each adapter on first use and
stops them all at the end, so a run that only posts to Slack never logs in to Discord.
Whoever needs to attach handlers (the slash commands) passes `on_built`: platform SDKs take
handlers only before they connect, and a retried login builds a fresh adapter each time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TextIO

import aiohttp

from bot.adapters.base import Adapter
from bot.adapters.console import ConsoleAdapter
from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_gateway import ShardDirector
from bot.adapters.discord_webhook import DiscordWebhookAdapter
from bot.adapters.slack_bot import SlackBotAdapter
from bot.adapters.slack_webhook import SlackWebhookAdapter
from bot.config import ConfigError, Settings
from bot.models import Platform, Transport

AdapterKey = tuple[Transport, Platform | None]
"""What one adapter serves: a platform's bot account or webhooks, or the console (None)."""


def adapter_key(platform: Platform, transport: Transport) -> AdapterKey:
    return (transport, None if transport is Transport.CONSOLE else platform)


def _required(value: object, name: str) -> str:
    secret = getattr(value, "get_secret_value", None)
    text = secret() if secret is not None else value
    if not text:
        raise ConfigError(f"{name} is not set")
    return str(text)


def build_adapter(
    platform: Platform,
    transport: Transport,
    settings: Settings,
    session: aiohttp.ClientSession,
    *,
    shards: ShardDirector | None = None,
    console_stream: TextIO | None = None,
) -> Adapter:
    """A new, not yet started adapter for one platform and transport."""
    timeout = settings.http_timeout
    if transport is Transport.CONSOLE:
        return ConsoleAdapter(console_stream)
    if transport is Transport.WEBHOOK:
        if platform is Platform.DISCORD:
            return DiscordWebhookAdapter(session, timeout=timeout)
        return SlackWebhookAdapter(session, timeout=timeout)
    if platform is Platform.DISCORD:
        return DiscordBotAdapter(
            token=_required(settings.discord_token, "DISCORD_TOKEN"),
            api_base=settings.discord_api_base,
            gateway_url=settings.discord_gateway_url,
            application_id=settings.discord_application_id,
            timeout=timeout,
            shards=shards,
        )
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


AdapterHook = Callable[[Adapter], None]
"""Called with each new adapter after it is built and before it starts."""


class AdapterPool:
    """Builds and starts each adapter once, on first use; `stop()` stops what was started.

    `shards` is for the long-running bot only: it connects the Discord gateway (where slash
    commands arrive) on the shards it chooses; `papers-bot post` has no use for one.
    Callers that ask at the same time (the delivery worker, the run's login retry) wait
    for one login, never start two clients for the same key.
    """

    def __init__(
        self,
        settings: Settings,
        session: aiohttp.ClientSession,
        *,
        shards: ShardDirector | None = None,
        console_stream: TextIO | None = None,
        on_built: AdapterHook | None = None,
    ) -> None:
        self._settings = settings
        self._session = session
        self._shards = shards
        self._console_stream = console_stream
        self._on_built = on_built
        self._started: dict[AdapterKey, Adapter] = {}
        self._logins: dict[AdapterKey, asyncio.Lock] = {}

    def started(self, platform: Platform, transport: Transport = Transport.BOT) -> Adapter | None:
        """The adapter for this platform and transport if it is up, without starting (or
        retrying) one."""
        return self._started.get(adapter_key(platform, transport))

    async def get(self, platform: Platform, transport: Transport = Transport.BOT) -> Adapter:
        key = adapter_key(platform, transport)
        adapter = self._started.get(key)
        if adapter is not None:
            return adapter
        async with self._logins.setdefault(key, asyncio.Lock()):
            return self._started.get(key) or await self._start(key, platform, transport)

    async def _start(self, key: AdapterKey, platform: Platform, transport: Transport) -> Adapter:
        adapter = build_adapter(
            platform,
            transport,
            self._settings,
            self._session,
            shards=self._shards,
            console_stream=self._console_stream,
        )
        try:
            if self._on_built is not None:
                self._on_built(adapter)
            await adapter.start()
        except BaseException:
            await adapter.stop()  # a half-started client still holds a session
            raise
        self._started[key] = adapter
        return adapter

    async def stop(self) -> None:
        while self._started:
            _, adapter = self._started.popitem()
            await adapter.stop()

    async def __aenter__(self) -> AdapterPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
