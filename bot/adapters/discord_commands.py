"""Slash commands on Discord: discord.py app_commands glue around `bot.commands`.

Each command here only gathers its options and hands an `Invocation` to the neutral
handlers. Management commands carry Manage Channels as their default member permissions
and are guild-only, and the handler layer checks both again at run time (server admins
can override the defaults).

Discord drops an interaction whose first answer has not arrived within 3 seconds; after
that answer, the interaction token takes follow-ups for 15 minutes. A command is answered
directly when its work finishes within `defer_after` seconds; otherwise it is deferred
(Discord shows "thinking") and finished with a follow-up. The first answer, message or
deferral, is sent again after a transient failure (a 5xx, a dropped connection) while the
window is open, and a follow-up while the token lives; whenever a failed try may have
landed, Discord's own state decides ("already acknowledged", the original response), so a
user never gets two answers. What cannot be answered is logged in one line.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot.adapters.base import RateLimitedError, TransientError
from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_common import translate
from bot.commands.context import CommandService, Invocation, Prepared
from bot.commands.replies import Reply, Span, Style, render_lines
from bot.commands.spec import COMMANDS, CommandSpec, OptionKind, OptionSpec
from bot.models import ChannelKind, ChannelRef, Platform
from bot.render.discord import render_discord_paper
from bot.render.limits import DiscordLimits
from bot.render.markup import discord_link, escape_discord_markdown
from bot.retry import backoff

log = logging.getLogger(__name__)

ANSWER_WINDOW = 3.0
"""Seconds Discord gives an interaction's first answer (a message or a deferral)."""
ANSWER_MARGIN = 0.5
"""The part of that window spent outside the bot: the event's trip here, the answer's back."""
DEFER_AFTER = 1.0
"""Seconds of work after which the answer is deferred; the rest of the window leaves room
for a second try of the first answer (discord.py itself waits 1 s to resend after a 5xx)."""
RETRY_PAUSE = 0.2
"""Between tries of the first answer after a failure discord.py did not wait out."""
FOLLOW_UP_TRIES = 5
FOLLOW_UP_BACKOFF = 1.0
FOLLOW_UP_BACKOFF_CAP = 30.0
"""Follow-up retries (`bot.retry.backoff`): five tries well inside the token's 15 minutes."""
FOLLOW_UP_TIMEOUT = 10.0
ALREADY_ACKNOWLEDGED = 40060
UNKNOWN_WEBHOOK = 10015
NOT_RESPONDED = (
    "the answer never reached Discord within its 3-second window; "
    'the user saw "The application did not respond"'
)
AUTOCOMPLETE_BUDGET = 2.0
MAX_CHOICES = 25
"""Discord's cap on autocomplete choices."""
MANAGER_PERMISSION = "the Manage Channels permission"
DM_WORKSPACE = "@dm"
VIEW, SEND, IN_THREADS, EMBED = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("embed_links", "Embed Links"),
)
POST_PERMISSIONS = {
    ChannelKind.TEXT: (VIEW, SEND, EMBED),
    ChannelKind.THREAD: (VIEW, IN_THREADS, EMBED),
    ChannelKind.FORUM: (VIEW, SEND, IN_THREADS, EMBED),
}
"""What the bot needs to post, by channel kind: a forum post is opened with Send
Messages, and the digest's papers go into its thread with Send Messages in Threads."""
FORUM_TYPES = frozenset({discord.ChannelType.forum, discord.ChannelType.media})
THREAD_TYPES = frozenset(
    {
        discord.ChannelType.public_thread,
        discord.ChannelType.private_thread,
        discord.ChannelType.news_thread,
    }
)

Choice = app_commands.Choice
AppCommand = app_commands.Command[Any, ..., None]
OPTION_TYPES = {
    OptionKind.TEXT: discord.AppCommandOptionType.string,
    OptionKind.INTEGER: discord.AppCommandOptionType.integer,
    OptionKind.FLAG: discord.AppCommandOptionType.boolean,
}


def place_of(interaction: discord.Interaction) -> tuple[str, ChannelKind]:
    """The channel a command is about, and its kind, by the type Discord gives it.

    A forum shows no message box, so commands are typed inside one of its posts (a thread):
    those are about the forum, whose posts the digests become. The thread's parent comes
    from the gateway's channel cache (the guilds intent keeps it)."""
    channel = interaction.channel
    kind = getattr(channel, "type", None)
    if isinstance(channel, discord.Thread):
        parent = channel.parent
        if parent is not None and parent.type in FORUM_TYPES:
            return str(parent.id), ChannelKind.FORUM
    if kind in FORUM_TYPES:
        return str(interaction.channel_id), ChannelKind.FORUM
    if kind in THREAD_TYPES:
        return str(interaction.channel_id), ChannelKind.THREAD
    return str(interaction.channel_id or ""), ChannelKind.TEXT


class DiscordCaller:
    """Permissions as the interaction carries them (`app_permissions`: the bot's, resolved
    for this channel with its overwrites), checked against what its kind needs."""

    requirement = MANAGER_PERMISSION

    def __init__(self, interaction: discord.Interaction, kind: ChannelKind) -> None:
        self._interaction = interaction
        self._kind = kind

    async def can_manage(self) -> bool:
        permissions = self._interaction.permissions
        return bool(permissions.manage_channels or permissions.administrator)

    async def post_problem(self) -> str | None:
        granted = self._interaction.app_permissions
        if granted.administrator:
            return None
        needed = POST_PERMISSIONS[self._kind]
        missing = [label for name, label in needed if not getattr(granted, name)]
        return "missing " + ", ".join(missing) if missing else None


@dataclass(frozen=True, slots=True)
class _Call:
    """One interaction being answered: its command's name for the log, and when Discord's
    window for the first answer closes (event loop time, less `ANSWER_MARGIN`)."""

    interaction: discord.Interaction
    name: str
    deadline: float

    @property
    def fields(self) -> dict[str, object]:
        return {"platform": Platform.DISCORD.value, "command": self.name}

    def note(self, text: str) -> None:
        log.info("/%s: %s", self.name, text, extra=self.fields)

    def warn(self, text: str) -> None:
        log.warning("/%s: %s", self.name, text, extra=self.fields)


class NotAnsweredError(Exception):
    """The interaction got no answer and cannot get one any more; the text says why."""


def _transient(exc: BaseException) -> bool:
    """A failure worth another try: 5xx, 429, timeouts, dropped connections."""
    return isinstance(translate(exc, "discord interaction"), TransientError | RateLimitedError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"HTTP {exc.status}"
    return type(exc).__name__


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
        timeout: float = FOLLOW_UP_TIMEOUT,
    ) -> None:
        self._adapter = adapter
        self._service = service
        self._defer_after = defer_after
        self._timeout = timeout
        self._rng = random.Random()

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
        deadline = asyncio.get_running_loop().time() + ANSWER_WINDOW - ANSWER_MARGIN
        call = _Call(interaction, spec.name, deadline)
        try:
            await self._handle(call, spec, options)
        except discord.HTTPException as exc:
            # Discord refused the body or the token (expired, unknown): nothing to retry.
            call.warn(f"Discord refused the answer: HTTP {exc.status} (code {exc.code}) {exc.text}")
        except NotAnsweredError as exc:
            call.warn(str(exc))
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            call.warn(f"Discord did not answer ({_describe(exc)}); the user may have no answer")
        except Exception:
            log.exception("/%s: answering on Discord failed", spec.name, extra=call.fields)

    async def _handle(self, call: _Call, spec: CommandSpec, options: Mapping[str, object]) -> None:
        invocation = self._invocation(call.interaction, spec, options)
        prepared = await self._service.prepare(invocation)
        if isinstance(prepared, Reply):
            await self._answer(call, prepared)
            return
        work = asyncio.ensure_future(prepared.run())
        if not spec.slow:
            done, _ = await asyncio.wait({work}, timeout=self._defer_after)
            if done:
                await self._answer(call, work.result())
                return
        await self._defer_then_follow_up(call, prepared, work)

    async def _answer(self, call: _Call, reply: Reply) -> None:
        """The reply as the first answer. When the window closes with Discord's word on it
        missing, the original response tells whether it landed; it cannot be sent again,
        since Discord drops an interaction left unanswered past the window."""
        content, embeds = reply_body(reply)

        async def send() -> object:
            return await call.interaction.response.send_message(
                content=content or None,
                embeds=embeds,
                ephemeral=reply.ephemeral,
                allowed_mentions=discord.AllowedMentions.none(),
                suppress_embeds=not embeds,
            )

        if await self._first_answer(call, send):
            return
        try:
            await self._original(call.interaction)
        except discord.NotFound:
            raise NotAnsweredError(NOT_RESPONDED) from None

    async def _defer_then_follow_up(
        self, call: _Call, prepared: Prepared, work: asyncio.Future[Reply]
    ) -> None:
        """Discord shows "thinking" until the reply comes as a follow-up, which replaces
        it. The follow-up goes out even when the deferral's fate is unknown: Discord
        refuses it (Unknown Webhook) only if the deferral never landed."""

        async def defer() -> object:
            return await call.interaction.response.defer(
                ephemeral=prepared.ephemeral, thinking=True
            )

        try:
            await self._first_answer(call, defer)
        finally:
            reply = await work
        try:
            await self._follow_up(call, reply, ephemeral=prepared.ephemeral)
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_WEBHOOK:
                raise
            raise NotAnsweredError(NOT_RESPONDED) from None

    async def _first_answer(self, call: _Call, send: Callable[[], Awaitable[object]]) -> bool:
        """Send the first answer (a message or a deferral), again after each transient
        failure while Discord's window is open. True once Discord took it; "already
        acknowledged" on a later try means an earlier one landed. False when the window
        closed without Discord's word on it; a refusal raises."""
        loop = asyncio.get_running_loop()
        tried = False
        while True:
            try:
                async with asyncio.timeout_at(call.deadline):
                    await send()
                return True
            except discord.HTTPException as exc:
                if tried and exc.code == ALREADY_ACKNOWLEDGED:
                    return True
                if not _transient(exc):
                    raise
                failure: BaseException = exc
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                failure = exc
            tried = True
            if loop.time() >= call.deadline:
                return False
            call.note(f"the first answer failed ({_describe(failure)}); sending it again")
            await asyncio.sleep(min(RETRY_PAUSE, max(0.0, call.deadline - loop.time())))

    async def _follow_up(self, call: _Call, reply: Reply, *, ephemeral: bool) -> None:
        """The reply after a deferral, through the interaction token (valid 15 minutes).
        A try that failed may still have landed: before sending again, the original
        response is read, and a thinking message no longer there means it did."""
        content, embeds = reply_body(reply)
        for failures in itertools.count(1):
            try:
                async with asyncio.timeout(self._timeout):
                    await call.interaction.followup.send(
                        content=content or "\u200b",
                        embeds=embeds,
                        ephemeral=ephemeral,
                        allowed_mentions=discord.AllowedMentions.none(),
                        suppress_embeds=not embeds,
                    )
                return
            except (discord.HTTPException, TimeoutError, aiohttp.ClientError, OSError) as exc:
                if not _transient(exc) or failures >= FOLLOW_UP_TRIES:
                    raise
                call.note(f"the follow-up failed ({_describe(exc)}); checking before a resend")
            await asyncio.sleep(
                backoff(failures, base=FOLLOW_UP_BACKOFF, cap=FOLLOW_UP_BACKOFF_CAP, rng=self._rng)
            )
            if not (await self._original(call.interaction)).flags.loading:
                return

    async def _original(self, interaction: discord.Interaction) -> discord.Message:
        """The original response as Discord holds it now: discord.py keeps its first read
        of it, which gives the id to read it by afresh."""
        async with asyncio.timeout(self._timeout):
            original = await interaction.original_response()
            fresh: discord.Message = await interaction.followup.fetch_message(original.id)
        return fresh

    def _invocation(
        self, interaction: discord.Interaction, spec: CommandSpec, options: Mapping[str, object]
    ) -> Invocation:
        guild = interaction.guild_id
        channel_id, kind = place_of(interaction)
        return Invocation(
            spec=spec,
            options={name: value for name, value in options.items() if value is not None},
            channel=ChannelRef(Platform.DISCORD, str(guild) if guild else DM_WORKSPACE, channel_id),
            user_id=str(interaction.user.id),
            is_dm=guild is None,
            caller=DiscordCaller(interaction, kind),
            channel_kind=kind,
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
