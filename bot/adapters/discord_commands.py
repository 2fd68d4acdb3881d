"""Slash commands on Discord: discord.py app_commands glue around `bot.commands`.

Each command here only gathers its options and hands an `Invocation` to the neutral
handlers. Management commands carry Manage Channels as their default member permissions
and are guild-only, and the handler layer checks both again at run time (server admins
can override the defaults). A command is answered directly when its work finishes within
`defer_after` seconds; otherwise it is deferred (Discord shows "thinking") and finished
with a follow-up, well inside Discord's 3-second window for the first answer.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord_bot import DiscordBotAdapter
from bot.commands.context import CommandService, Invocation, Prepared
from bot.commands.replies import Reply, Span, Style, render_lines
from bot.commands.spec import COMMANDS, CommandSpec, OptionKind, OptionSpec
from bot.models import ChannelRef, Platform
from bot.render.discord import render_discord_paper
from bot.render.limits import DiscordLimits
from bot.render.markup import discord_link, escape_discord_markdown

log = logging.getLogger(__name__)

DEFER_AFTER = 2.0
"""Seconds of work after which the answer is deferred (Discord allows 3 for the first)."""
AUTOCOMPLETE_BUDGET = 2.0
MAX_CHOICES = 25
"""Discord's cap on autocomplete choices."""
MANAGER_PERMISSION = "the Manage Channels permission"
DM_WORKSPACE = "@dm"
POST_PERMISSIONS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)

Choice = app_commands.Choice
AppCommand = app_commands.Command[Any, ..., None]
OPTION_TYPES = {
    OptionKind.TEXT: discord.AppCommandOptionType.string,
    OptionKind.INTEGER: discord.AppCommandOptionType.integer,
    OptionKind.FLAG: discord.AppCommandOptionType.boolean,
}


class DiscordCaller:
    """Permissions as the interaction carries them (resolved for this channel)."""

    requirement = MANAGER_PERMISSION

    def __init__(self, interaction: discord.Interaction) -> None:
        self._interaction = interaction

    async def can_manage(self) -> bool:
        permissions = self._interaction.permissions
        return bool(permissions.manage_channels or permissions.administrator)

    async def post_problem(self) -> str | None:
        granted = self._interaction.app_permissions
        if granted.administrator:
            return None
        missing = [label for name, label in POST_PERMISSIONS if not getattr(granted, name)]
        return "missing " + ", ".join(missing) if missing else None


def _span(span: Span) -> str:
    if span.url is not None:
        return discord_link(span.url, span.text)
    text = escape_discord_markdown(span.text)
    return f"**{text}**" if span.style is Style.BOLD and text else text


def reply_body(reply: Reply) -> tuple[str, list[discord.Embed]]:
    """Content and embeds for one reply; mentions are escaped here and never parsed."""
    card_content = ""
    embeds: list[discord.Embed] = []
    if reply.card is not None:
        card = render_discord_paper(reply.card, options=reply.card_options).body
        card_content = str(card.get("content", ""))
        embeds = [discord.Embed.from_dict(embed) for embed in card.get("embeds", [])]
    room = DiscordLimits.CONTENT - len(card_content) - 1
    text = render_lines(reply, _span, limit=room, more=lambda n: f"…and {n} more")
    content = "\n".join(part for part in (text, card_content) if part)
    return content, embeds


class DiscordCommands:
    """Attach with `install()` before the adapter starts; `DiscordBotAdapter.register_commands`
    (or `papers-bot register-commands`) publishes the definitions."""

    def __init__(
        self,
        adapter: DiscordBotAdapter,
        service: CommandService,
        *,
        defer_after: float = DEFER_AFTER,
    ) -> None:
        self._adapter = adapter
        self._service = service
        self._defer_after = defer_after

    def install(self) -> None:
        for command in self.build():
            self._adapter.tree.add_command(command)

    def build(self) -> list[AppCommand]:
        """Fresh command objects, one per spec (the tree keeps the ones installed)."""
        return [self._command(spec) for spec in COMMANDS.values()]

    async def handle(
        self, interaction: discord.Interaction, spec: CommandSpec, options: Mapping[str, object]
    ) -> None:
        """Answer one interaction; nothing raised here reaches discord.py's error log."""
        try:
            await self._handle(interaction, spec, options)
        except discord.HTTPException as exc:
            # The token expired or Discord refused the body; the user saw "did not respond".
            log.warning("/%s: Discord refused the answer: %s %s", spec.name, exc.status, exc.code)
        except Exception:
            log.exception("/%s: answering on Discord failed", spec.name)

    async def _handle(
        self, interaction: discord.Interaction, spec: CommandSpec, options: Mapping[str, object]
    ) -> None:
        invocation = self._invocation(interaction, spec, options)
        prepared = await self._service.prepare(invocation)
        if isinstance(prepared, Reply):
            await self._answer(interaction, prepared)
            return
        work = asyncio.ensure_future(prepared.run())
        if not spec.slow:
            done, _ = await asyncio.wait({work}, timeout=self._defer_after)
            if done:
                await self._answer(interaction, work.result())
                return
        await self._defer_then_follow_up(interaction, prepared, work)

    async def _defer_then_follow_up(
        self,
        interaction: discord.Interaction,
        prepared: Prepared,
        work: asyncio.Future[Reply],
    ) -> None:
        try:
            await interaction.response.defer(ephemeral=prepared.ephemeral, thinking=True)
        finally:
            reply = await work
        content, embeds = reply_body(reply)
        await interaction.followup.send(
            content=content or "\u200b",
            embeds=embeds,
            ephemeral=prepared.ephemeral,
            allowed_mentions=discord.AllowedMentions.none(),
            suppress_embeds=not embeds,
        )

    async def _answer(self, interaction: discord.Interaction, reply: Reply) -> None:
        content, embeds = reply_body(reply)
        await interaction.response.send_message(
            content=content or None,
            embeds=embeds,
            ephemeral=reply.ephemeral,
            allowed_mentions=discord.AllowedMentions.none(),
            suppress_embeds=not embeds,
        )

    def _invocation(
        self, interaction: discord.Interaction, spec: CommandSpec, options: Mapping[str, object]
    ) -> Invocation:
        guild = interaction.guild_id
        channel_id = str(interaction.channel_id or "")
        return Invocation(
            spec=spec,
            options={name: value for name, value in options.items() if value is not None},
            channel=ChannelRef(Platform.DISCORD, str(guild) if guild else DM_WORKSPACE, channel_id),
            user_id=str(interaction.user.id),
            is_dm=guild is None,
            caller=DiscordCaller(interaction),
        )

    # -- command definitions, generated from bot.commands.spec ---------------------------
    def _command(self, spec: CommandSpec) -> AppCommand:
        """One command whose parameters discord.py reads from the spec's options."""

        async def invoke(interaction: discord.Interaction, **options: object) -> None:
            await self.handle(interaction, spec, options)

        # discord.py takes a command's parameters from inspect.signature(callback), which
        # honours __signature__; `invoke` itself accepts whatever options Discord sends.
        invoke.__signature__ = _signature(spec)  # type: ignore[attr-defined]
        app_commands.describe(**{option.name: option.description for option in spec.options})(
            invoke
        )
        command: AppCommand = app_commands.Command(
            name=spec.name, description=spec.description, callback=invoke
        )

        async def titles(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
            return await self.suggest(current)

        for option in spec.options:
            if option.autocomplete:
                command.autocomplete(option.name)(titles)
        if spec.manages:
            command.guild_only = True
            command.allowed_contexts = app_commands.AppCommandContext(guild=True)
            command.default_permissions = discord.Permissions(manage_channels=True)
        return command

    async def suggest(self, current: str) -> list[Choice[str]]:
        """Titles for the /paper query box, or none when the archive is slow to answer."""
        try:
            async with asyncio.timeout(AUTOCOMPLETE_BUDGET):
                found = await self._service.suggest(current, limit=MAX_CHOICES)
        except TimeoutError:
            log.warning("/paper autocomplete took longer than %.1f s", AUTOCOMPLETE_BUDGET)
            return []
        return [Choice(name=s.title, value=s.value) for s in found[:MAX_CHOICES]]


class _SpecOption(app_commands.Transformer[discord.Client]):
    """One spec option as discord.py registers it: type, bounds, length and choices come
    from the spec. The value is passed on as Discord sent it; `bot.commands.arguments`
    checks it with the same spec, as it checks Slack's text."""

    def __init__(self, option: OptionSpec) -> None:
        self._option = option

    @property
    def type(self) -> discord.AppCommandOptionType:
        return OPTION_TYPES[self._option.kind]

    @property
    def min_value(self) -> int | None:
        return self._option.minimum

    @property
    def max_value(self) -> int | None:
        """The largest number, or for text the longest value (discord.py sends the two
        as max_value or max_length by the option's type)."""
        if self._option.kind is OptionKind.TEXT:
            return self._option.max_length
        return self._option.maximum

    @property
    def choices(self) -> list[Choice[int | float | str]] | None:
        found: list[Choice[int | float | str]] = [
            Choice(name=value, value=value) for value in self._option.choices
        ]
        return found or None

    async def transform(self, interaction: discord.Interaction, value: object, /) -> object:
        return value


def _signature(spec: CommandSpec) -> inspect.Signature:
    """The parameters discord.py registers: the interaction, then each option by name.

    An option left out arrives as its default: False for a flag (Discord's meaning of an
    unset boolean), None otherwise, which `_invocation` then drops.
    """
    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for option in spec.options:
        if option.required:
            default: object = inspect.Parameter.empty
        else:
            default = False if option.kind is OptionKind.FLAG else None
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_SpecOption(option),
                default=default,
            )
        )
    return inspect.Signature(parameters)
