"""Slash commands on Slack: slack-bolt glue around `bot.commands`.

Every command is acknowledged at once with an empty ack (well inside Slack's 3 seconds,
whatever the work costs), then answered through the command's `response_url` (good for 5
uses in 30 minutes). A try that fails with a 5xx, a timeout or a dropped connection is
made again, with `replace_original` so that a try which landed after all is replaced, not
joined by a second answer; when the URL keeps failing or refuses (expired, used up), the
answer goes through chat.postEphemeral instead. Management commands need a workspace
admin or owner (users.info) or a user listed in SLACK_ADMIN_USERS; commands that make the
bot post check first (conversations.info) that it can post in the channel.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack_bot import SlackBotAdapter
from bot.commands.context import CommandService, Invocation
from bot.commands.errors import TryLaterError
from bot.commands.replies import TONE_MARKS, Reply, Span, Style, render_lines
from bot.commands.spec import COMMANDS, CommandSpec
from bot.models import ChannelRef, Platform
from bot.render.limits import SlackLimits
from bot.render.markup import slack_link, slack_text
from bot.render.slack import block_text_length, render_slack_paper
from bot.render.text import fit, one_line
from bot.retry import backoff

log = logging.getLogger(__name__)

MANAGER_REQUIREMENT = "a workspace admin or owner (or a user listed in SLACK_ADMIN_USERS)"
ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")
DM_CHANNEL_NAME = "directmessage"
REPLY_TEXT_BUDGET = SlackLimits.TOTAL_BLOCK_TEXT // 2
"""The most block text a reply's lines may take; beside a /paper card, only what the card
leaves of the message's total."""
RESPONSE_URL_TRIES = 3
"""Tries of a response_url before falling back (Slack allows 5 uses of one)."""
RESPONSE_URL_BACKOFF = 0.5
RESPONSE_URL_BACKOFF_CAP = 4.0
"""Waits between those tries (`bot.retry.backoff`)."""

Listener = Callable[..., Awaitable[None]]


class SlackCaller:
    """The caller's role and the bot's access to the channel, asked from the Web API."""

    requirement = MANAGER_REQUIREMENT

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        user_id: str,
        channel_id: str,
        admin_users: Collection[str],
        timeout: float,
    ) -> None:
        self._client = client
        self._user_id = user_id
        self._channel_id = channel_id
        self._admin_users = admin_users
        self._timeout = timeout

    async def can_manage(self) -> bool:
        if self._user_id in self._admin_users:
            return True
        try:
            async with asyncio.timeout(self._timeout):
                answer = await self._client.users_info(user=self._user_id)
        except SlackApiError as exc:
            error = exc.response.get("error", "error") if exc.response else "error"
            log.warning("users.info for a command failed: %s", error)
            raise TryLaterError(
                f"I couldn't check your Slack role (users.info answered {error}). "
                "An admin can add you to SLACK_ADMIN_USERS."
            ) from None
        except (TimeoutError, SlackClientError, aiohttp.ClientError) as exc:
            log.warning("users.info for a command failed: %s", type(exc).__name__)
            raise TryLaterError("Slack did not answer in time; please try again.") from None
        user = answer.get("user") or {}
        return any(bool(user.get(flag)) for flag in ADMIN_FLAGS)

    async def post_problem(self) -> str | None:
        try:
            async with asyncio.timeout(self._timeout):
                answer = await self._client.conversations_info(channel=self._channel_id)
        except SlackApiError as exc:
            error = exc.response.get("error", "") if exc.response else ""
            if error == "channel_not_found":
                return "I can't see it; invite me with /invite"
            return None  # missing_scope and the like: the post itself will tell
        except (TimeoutError, SlackClientError, aiohttp.ClientError):
            return None
        channel = answer.get("channel") or {}
        if channel.get("is_archived"):
            return "it is archived"
        closed = channel.get("is_private") or channel.get("is_im") or channel.get("is_mpim")
        if closed and not channel.get("is_member"):
            return "it is private and I'm not a member; invite me with /invite"
        return None


def _span(span: Span) -> str:
    if span.url is not None:
        return slack_link(span.url, span.text)
    text = slack_text(span.text)
    return f"*{text}*" if span.style is Style.BOLD and text else text


def _sections(text: str) -> list[dict[str, Any]]:
    """Text in mrkdwn sections of at most SECTION_TEXT, split between lines."""
    blocks: list[dict[str, Any]] = []
    chunk: list[str] = []
    for line in text.split("\n"):
        if chunk and len("\n".join([*chunk, line])) > SlackLimits.SECTION_TEXT:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
            chunk = []
        chunk.append(fit(line, SlackLimits.SECTION_TEXT, str))
    if chunk and any(part.strip() for part in chunk):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
    return blocks


def reply_body(reply: Reply) -> dict[str, Any]:
    """`text` and `blocks` for a response_url or chat.postEphemeral. A /paper card comes
    first and its block text counts: the lines get what it leaves of the total."""
    card_blocks: list[dict[str, Any]] = []
    card_text = ""
    if reply.card is not None:
        card = render_slack_paper(reply.card, options=reply.card_options).body
        card_blocks = list(card.get("blocks", []))
        card_text = str(card.get("text", ""))
    card_room = SlackLimits.TOTAL_BLOCK_TEXT - block_text_length(card_blocks)
    room = max(0, min(REPLY_TEXT_BUDGET, card_room))
    text = render_lines(reply, _span, limit=room, more=lambda n: f"…and {n} more")
    blocks = _sections(text) if text else []
    if card_blocks and blocks:
        card_blocks.append({"type": "divider"})
    blocks = (card_blocks + blocks)[: SlackLimits.BLOCKS]
    mark = TONE_MARKS.get(reply.tone)
    plain_text = f"{mark} {reply.plain_text}" if mark else reply.plain_text
    fallback = card_text or fit(one_line(plain_text), SlackLimits.TEXT, slack_text)
    body: dict[str, Any] = {"text": fallback or "…"}
    if blocks:
        body["blocks"] = blocks
    return body


class SlackCommands:
    """Registers every command on the adapter's bolt app; `install()` before `start()`."""

    def __init__(
        self,
        adapter: SlackBotAdapter,
        service: CommandService,
        *,
        admin_users: Collection[str] = (),
        timeout: float = 10.0,
    ) -> None:
        self._adapter = adapter
        self._service = service
        self._admin_users = frozenset(admin_users)
        self._timeout = timeout
        self._rng = random.Random()

    def install(self) -> None:
        for spec in COMMANDS.values():
            self._adapter.app.command(f"/{spec.name}")(self._listener(spec))

    def _listener(self, spec: CommandSpec) -> Listener:
        async def listener(ack: Callable[..., Awaitable[None]], command: dict[str, Any]) -> None:
            await ack()  # recorded by bolt, which answers Slack with it while this goes on
            try:
                reply = await self._service.run(self._invocation(spec, command))
                await self._deliver(spec, command, reply)
            except Exception:
                fields = {"platform": Platform.SLACK.value, "command": spec.name}
                log.exception("/%s: answering on Slack failed", spec.name, extra=fields)

        return listener

    def _invocation(self, spec: CommandSpec, command: Mapping[str, Any]) -> Invocation:
        channel_id = str(command.get("channel_id", ""))
        user_id = str(command.get("user_id", ""))
        is_dm = channel_id.startswith("D") or command.get("channel_name") == DM_CHANNEL_NAME
        return Invocation(
            spec=spec,
            options={},
            text=str(command.get("text") or ""),
            channel=ChannelRef(Platform.SLACK, str(command.get("team_id", "")), channel_id),
            user_id=user_id,
            is_dm=is_dm,
            caller=SlackCaller(
                self._adapter.client,
                user_id=user_id,
                channel_id=channel_id,
                admin_users=self._admin_users,
                timeout=self._timeout,
            ),
        )

    async def _deliver(self, spec: CommandSpec, command: Mapping[str, Any], reply: Reply) -> None:
        body = reply_body(reply)
        url = command.get("response_url")
        response_type = "ephemeral" if reply.ephemeral else "in_channel"
        problem = (
            await self._respond(str(url), {**body, "response_type": response_type})
            if url
            else "missing"
        )
        if problem is None:
            return
        fields = {"platform": Platform.SLACK.value, "command": spec.name}
        try:
            async with asyncio.timeout(self._timeout):
                await self._adapter.client.chat_postEphemeral(
                    channel=str(command.get("channel_id", "")),
                    user=str(command.get("user_id", "")),
                    **body,
                )
        except (TimeoutError, SlackClientError, aiohttp.ClientError) as exc:
            log.warning(
                "/%s: no answer reached the user: response_url %s; chat.postEphemeral %s",
                spec.name,
                problem,
                _slack_failure(exc),
                extra=fields,
            )
            return
        log.warning(
            "/%s: response_url %s; answered with chat.postEphemeral",
            spec.name,
            problem,
            extra=fields,
        )

    async def _respond(self, url: str, body: dict[str, Any]) -> str | None:
        """Post the answer to the response_url; None once it landed, else what went wrong.
        Retries after a try that may have landed carry `replace_original`."""
        # No retry handlers: slack-sdk's default re-sends after a dropped connection,
        # blindly, and a re-send must carry replace_original.
        webhook = AsyncWebhookClient(
            url,
            timeout=max(int(self._timeout), 1),
            session=self._adapter.client.session,
            retry_handlers=[],
        )
        replace: dict[str, bool] = {}
        for failures in range(1, RESPONSE_URL_TRIES + 1):
            try:
                async with asyncio.timeout(self._timeout):
                    answer = await webhook.send_dict({**body, **replace})
            except (TimeoutError, SlackClientError, aiohttp.ClientError) as exc:
                problem = _slack_failure(exc)
            else:
                if answer.status_code == 200:
                    return None
                problem = f"answered HTTP {answer.status_code} {answer.body}".rstrip()
                if answer.status_code < 500 and answer.status_code != 429:
                    return problem  # expired, used up, refused: trying again cannot help
            replace = {"replace_original": True}
            if failures < RESPONSE_URL_TRIES:
                log.info("response_url %s; trying again", problem)
                await asyncio.sleep(
                    backoff(
                        failures,
                        base=RESPONSE_URL_BACKOFF,
                        cap=RESPONSE_URL_BACKOFF_CAP,
                        rng=self._rng,
                    )
                )
        return f"{problem} ({RESPONSE_URL_TRIES} tries)"


def _slack_failure(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return f"failed: {exc.response.get('error', 'error')}"
    return f"failed ({type(exc).__name__})"
