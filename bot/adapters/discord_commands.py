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
import logging
from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord_bot import DiscordBotAdapter
from bot.commands import arguments as a
from bot.commands.context import CommandService, Invocation, Prepared
from bot.commands.replies import Reply, Span, Style, render_lines
from bot.commands.spec import COMMANDS, CommandSpec
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
        """Fresh command objects (the tree keeps the ones installed)."""
        commands = [
            self._paper(),
            self._papers(),
            self._subscribe(),
            *(self._plain(COMMANDS[name]) for name in ("unsubscribe", "subscription", "resume")),
            self._pause(),
            self._plain(COMMANDS["digest"]),
        ]
        for command in commands:
            spec = COMMANDS[command.name]
            if spec.manages:
                command.guild_only = True
                command.allowed_contexts = app_commands.AppCommandContext(guild=True)
                command.default_permissions = discord.Permissions(manage_channels=True)
        return commands

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

    # -- command definitions (option names and limits come from bot.commands.spec) ------
    def _paper(self) -> AppCommand:
        spec = COMMANDS["paper"]

        @app_commands.describe(**_descriptions(spec))
        async def paper(
            interaction: discord.Interaction,
            *,
            query: app_commands.Range[str, 1, a.QUERY_CHARS],
            share: bool = False,
        ) -> None:
            await self.handle(interaction, spec, {"query": query, "share": share})

        command: AppCommand = app_commands.Command(
            name=spec.name, description=spec.description, callback=paper
        )

        @command.autocomplete("query")
        async def query_choices(
            interaction: discord.Interaction, current: str
        ) -> list[Choice[str]]:
            return await self.suggest(current)

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

    def _papers(self) -> AppCommand:
        spec = COMMANDS["papers"]

        @app_commands.describe(**_descriptions(spec))
        async def papers(
            interaction: discord.Interaction,
            *,
            date: app_commands.Range[str, 1, 20] | None = None,
            min_votes: app_commands.Range[int, 0, a.MIN_VOTES_MAX] | None = None,
            top: app_commands.Range[int, 1, a.TOP_MAX] | None = None,
            share: bool = False,
        ) -> None:
            options = {"date": date, "min_votes": min_votes, "top": top, "share": share}
            await self.handle(interaction, spec, options)

        return app_commands.Command(name=spec.name, description=spec.description, callback=papers)

    def _subscribe(self) -> AppCommand:
        spec = COMMANDS["subscribe"]

        @app_commands.describe(**_descriptions(spec))
        @app_commands.choices(
            source=[Choice(name=n, value=n) for n in ("hf", "markdown", "feed", "all")],
            layout=[Choice(name=n, value=n) for n in ("channel", "thread")],
            no_papers=[Choice(name=n, value=n) for n in a.NO_PAPERS_CHOICES],
        )
        async def subscribe(
            interaction: discord.Interaction,
            *,
            min_votes: app_commands.Range[int, 0, a.MIN_VOTES_MAX] | None = None,
            top: app_commands.Range[int, 1, a.TOP_MAX] | None = None,
            keywords: app_commands.Range[str, 1, a.KEYWORDS_TEXT_CHARS] | None = None,
            time: app_commands.Range[str, 1, 5] | None = None,
            timezone: app_commands.Range[str, 1, a.TIMEZONE_CHARS] | None = None,
            source: str | None = None,
            layout: str | None = None,
            no_papers: str | None = None,
        ) -> None:
            options = {
                "min_votes": min_votes,
                "top": top,
                "keywords": keywords,
                "time": time,
                "timezone": timezone,
                "source": source,
                "layout": layout,
                "no_papers": no_papers,
            }
            await self.handle(interaction, spec, options)

        return app_commands.Command(
            name=spec.name, description=spec.description, callback=subscribe
        )

    def _pause(self) -> AppCommand:
        spec = COMMANDS["pause"]

        @app_commands.describe(**_descriptions(spec))
        async def pause(
            interaction: discord.Interaction,
            *,
            reason: app_commands.Range[str, 1, a.REASON_CHARS] | None = None,
        ) -> None:
            await self.handle(interaction, spec, {"reason": reason})

        return app_commands.Command(name=spec.name, description=spec.description, callback=pause)

    def _plain(self, spec: CommandSpec) -> AppCommand:
        async def callback(interaction: discord.Interaction) -> None:
            await self.handle(interaction, spec, {})

        return app_commands.Command(name=spec.name, description=spec.description, callback=callback)


def _descriptions(spec: CommandSpec) -> dict[str, str]:
    return {option.name: option.description[:100] for option in spec.options}
