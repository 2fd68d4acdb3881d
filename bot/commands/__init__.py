"""Slash commands, platform-neutral: one handler per command, thin adapter glue around it.

Adapters (`bot.adapters.discord_commands`, `bot.adapters.slack_commands`) turn a platform
request into an `Invocation` (`context`), call `Commands.prepare`/`run` (`router`) through
the `CommandService` protocol, and format the `Reply` (`replies`). Handlers get their
services from `env`; the composition root (`bot.wiring`) builds them.
"""
