"""Slash commands, platform-neutral: one handler per command, thin adapter glue around it.

Adapters (`bot.adapters.discord_commands`, `bot.adapters.slack_commands`) turn a platform
request into an `Invocation`, call `Commands.prepare`/`run`, and format the `Reply`.
"""

from bot.commands.context import CommandDefaults, CommandEnv, Invocation
from bot.commands.errors import CommandError
from bot.commands.replies import Reply
from bot.commands.router import Commands, Prepared
from bot.commands.spec import COMMANDS, CommandSpec

__all__ = [
    "COMMANDS",
    "CommandDefaults",
    "CommandEnv",
    "CommandError",
    "CommandSpec",
    "Commands",
    "Invocation",
    "Prepared",
    "Reply",
]
