"""Attaching the slash commands to the bot adapters the composition root builds.

Kept apart from the handlers so `bot.commands` never imports platform SDK glue; only the
composition root (bot/app.py) imports this, after building a bot adapter and before
starting it (discord.py and bolt take command definitions only before they connect).
"""

from __future__ import annotations

from bot.adapters.base import Adapter
from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_commands import DiscordCommands
from bot.adapters.slack_bot import SlackBotAdapter
from bot.adapters.slack_commands import SlackCommands
from bot.commands.context import CommandDefaults, CommandEnv, CommandService
from bot.commands.router import Commands
from bot.config import Settings
from bot.store import Store


def build_commands(store: Store, settings: Settings) -> Commands:
    """The one command service a process needs; it serves every platform."""
    return Commands(CommandEnv(store, CommandDefaults.from_settings(settings)))


def install_commands(adapter: Adapter, service: CommandService, settings: Settings) -> bool:
    """Attach every command to a bot adapter; False for adapters without commands
    (webhooks, the console)."""
    if isinstance(adapter, DiscordBotAdapter):
        DiscordCommands(adapter, service).install()
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
