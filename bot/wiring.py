"""Attaching the slash commands to the bot adapters the composition root builds.

Part of the composition root (bot/app.py uses it): the one place that knows both the
platform-neutral handlers (`bot.commands`) and the platform glue (`bot.adapters`), so
neither imports the other's side. discord.py and bolt take command definitions only
before they connect, so `CommandWiring.on_built` is the adapter pool's build hook: every
bot adapter the pool makes (including one rebuilt after a failed login) gets the commands
before it starts.

How commands reach the bot follows the settings: Discord over the gateway; Slack over
Socket Mode when SLACK_APP_TOKEN is set, else as signed HTTP requests to /slack/events on
the bot's own web server when SLACK_SIGNING_SECRET is set, else not at all (and we say so).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from aiohttp import web

from bot.adapters.base import Adapter
from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_commands import DiscordCommands
from bot.adapters.slack_bot import EVENTS_PATH, SlackBotAdapter
from bot.adapters.slack_commands import SlackCommands
from bot.commands.context import CommandService
from bot.commands.env import CommandDefaults, CommandEnv, DigestQueue
from bot.commands.router import Commands
from bot.config import Settings
from bot.models import Platform
from bot.store import Store

log = logging.getLogger(__name__)

NOT_CONNECTED = "Slack is not connected yet; try again in a moment."


def build_commands(store: Store, digests: DigestQueue, settings: Settings) -> Commands:
    """The one command service a process needs; it serves every platform."""
    return Commands(CommandEnv(store, digests, CommandDefaults.from_settings(settings)))


def install_commands(adapter: Adapter, service: CommandService, settings: Settings) -> bool:
    """Attach every command to a bot adapter; False for adapters without commands
    (webhooks, the console)."""
    if isinstance(adapter, DiscordBotAdapter):
        DiscordCommands(adapter, service, timeout=settings.http_timeout).install()
        return True
    if isinstance(adapter, SlackBotAdapter):
        SlackCommands(
            adapter,
            service,
            admin_users=settings.slack_admin_users,
            timeout=settings.http_timeout,
        ).install()
        return True
    return False


class CommandTransport(StrEnum):
    """How slash commands reach this process on one platform."""

    GATEWAY = "gateway"
    SOCKET_MODE = "socket-mode"
    HTTP = "http"
    OFF = "off"


def command_transports(settings: Settings) -> dict[Platform, CommandTransport]:
    """How commands arrive on each configured bot platform."""
    found: dict[Platform, CommandTransport] = {}
    if settings.has_discord_bot:
        found[Platform.DISCORD] = CommandTransport.GATEWAY
    if settings.has_slack_bot:
        if settings.slack_app_token is not None:
            found[Platform.SLACK] = CommandTransport.SOCKET_MODE
        elif settings.slack_signing_secret is not None:
            found[Platform.SLACK] = CommandTransport.HTTP
        else:
            found[Platform.SLACK] = CommandTransport.OFF
    return found


class StartedAdapters(Protocol):
    """What the HTTP endpoint needs from the adapter pool (`AdapterPool`)."""

    def started(self, platform: Platform) -> Adapter | None: ...


@dataclass(frozen=True, slots=True)
class CommandHealth:
    transport: CommandTransport
    problem: str | None = None
    """Why commands cannot arrive right now, or None."""


class CommandWiring:
    """The slash commands of one running bot: one service on the bot's one store, installed
    on each bot adapter the pool builds, and the Slack HTTP endpoint when that is the way in."""

    def __init__(
        self,
        store: Store,
        digests: DigestQueue,
        settings: Settings,
        *,
        events_path: str = EVENTS_PATH,
    ) -> None:
        self.service = build_commands(store, digests, settings)
        self.transports = command_transports(settings)
        self.events_path = events_path
        self._settings = settings

    def on_built(self, adapter: Adapter) -> None:
        """The pool's build hook; adapters without commands are left alone."""
        install_commands(adapter, self.service, self._settings)

    def routes(self, adapters: StartedAdapters) -> list[web.RouteDef]:
        """The Slack endpoint for the web server, mounted before it starts. It answers 503
        until Slack has logged in: the adapter behind it may be rebuilt by a retried login."""
        if self.transports.get(Platform.SLACK) is not CommandTransport.HTTP:
            return []

        async def slack_events(request: web.Request) -> web.StreamResponse:
            adapter = adapters.started(Platform.SLACK)
            if not isinstance(adapter, SlackBotAdapter):
                return web.Response(status=503, text=NOT_CONNECTED)
            return await adapter.handle_http(request)

        return [web.post(self.events_path, slack_events)]

    def log_transports(self) -> None:
        """Say at start-up where commands come from, so a silent bot is easy to explain."""
        ways = {
            CommandTransport.GATEWAY: "over the gateway",
            CommandTransport.SOCKET_MODE: "over Socket Mode",
            CommandTransport.HTTP: f"at the HTTP endpoint {self.events_path}",
        }
        active = [
            f"{kind.value} {ways[transport]}"
            for kind, transport in self.transports.items()
            if transport is not CommandTransport.OFF
        ]
        if active:
            log.info("slash commands: %s", "; ".join(active))
        if self.transports.get(Platform.SLACK) is CommandTransport.OFF:
            log.warning(
                "slack slash commands are off: set SLACK_APP_TOKEN (Socket Mode) or "
                "SLACK_SIGNING_SECRET (HTTP endpoint %s)",
                self.events_path,
            )

    def health(self, platform: Platform, adapter: Adapter | None) -> CommandHealth | None:
        """The command transport of a started bot adapter; None for kinds without commands.

        A Discord gateway that is not (yet, or any more) connected means commands go
        unanswered even though posting may still work, so it counts as a problem.
        """
        transport = self.transports.get(platform)
        if transport is None or adapter is None:
            return None
        if isinstance(adapter, DiscordBotAdapter):
            client = adapter.client
            if client.is_closed() or not client.is_ready():
                return CommandHealth(transport, "the Discord gateway is not connected")
        return CommandHealth(transport)
