"""`papers-bot register-commands [--guild ID]`: publish the Discord slash commands.

One bulk overwrite (PUT) of the application's commands: with --guild in that guild only,
where changes show up at once (for testing), otherwise globally, where Discord may take a
while to show them everywhere. Slack commands are not registered by API: they are declared
in the app manifest (config/slack-manifest.yml).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from bot.errors import UsageError

if TYPE_CHECKING:
    from bot.commands.context import Prepared, Suggestion
    from bot.commands.replies import Reply


class RegisterError(UsageError):
    """The settings name nothing to register with."""


def _snowflake(value: str) -> int:
    if not value.isdigit() or len(value) > 20:
        raise argparse.ArgumentTypeError(f"a Discord guild id is a number, got {value!r}")
    return int(value)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "register-commands",
        help="publish the Discord slash commands (globally or in one guild)",
        description="Bulk-overwrite the bot's Discord slash commands. With --guild the "
        "commands appear in that guild at once; without it they are global.",
    )
    parser.add_argument(
        "--guild", type=_snowflake, metavar="ID", help="register in this guild only (instant)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    names, scope = asyncio.run(_register(args.guild))
    print(f"registered {len(names)} commands {scope}: {', '.join('/' + n for n in names)}")
    return 0


class _NotServing:
    """Registration only publishes definitions; nothing is served from this process."""

    async def prepare(self, invocation: object) -> Reply | Prepared:
        return await self.run(invocation)

    async def run(self, invocation: object) -> Reply:
        from bot.commands.replies import Reply  # noqa: PLC0415

        return Reply.error("The bot is not running here.")

    async def suggest(self, text: str, *, limit: int = 0) -> list[Suggestion]:
        return []


async def _register(guild_id: int | None) -> tuple[list[str], str]:
    import discord  # noqa: PLC0415

    from bot.adapters.base import guarded  # noqa: PLC0415
    from bot.adapters.discord_bot import DiscordBotAdapter  # noqa: PLC0415
    from bot.adapters.discord_commands import DiscordCommands  # noqa: PLC0415
    from bot.adapters.discord_common import translate  # noqa: PLC0415
    from bot.config import load_settings  # noqa: PLC0415

    settings = load_settings()
    if settings.discord_token is None:
        raise RegisterError("DISCORD_TOKEN is not set")
    adapter = DiscordBotAdapter(
        token=settings.discord_token.get_secret_value(),
        api_base=settings.discord_api_base,
        application_id=settings.discord_application_id,
        timeout=settings.http_timeout,
    )
    DiscordCommands(adapter, _NotServing()).install()
    # Not `async with adapter`: a failed login would leave discord.py's HTTP session open
    # (and Python would print an "Unclosed client session" warning under the error line).
    try:
        await adapter.start()
        tree = adapter.tree
        async with guarded("discord command registration", settings.http_timeout, translate):
            if guild_id is None:
                synced = await tree.sync()
                scope = "globally (Discord may take a while to show them everywhere)"
            else:
                guild = discord.Object(id=guild_id)
                tree.copy_global_to(guild=guild)
                synced = await tree.sync(guild=guild)
                scope = f"in guild {guild_id} (available now)"
    finally:
        await adapter.stop()
    return [command.name for command in synced], scope
