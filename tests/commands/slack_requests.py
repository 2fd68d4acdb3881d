"""Sending slash commands to the bolt app the two ways Slack does (a signed HTTP form POST,
a Socket Mode envelope) as any user in any channel, and reading the answer the bot sent to
the command's response_url."""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.commands.slack_users import ADMIN, COMMAND_CHANNEL, SlackWithUsers
from tests.fakes.slack_signing import slack_signature, slash_command_body
from tests.render.validators import slack_message_violations


@dataclass(frozen=True, slots=True)
class SlackAnswer:
    ack_status: int
    ack_body: str
    response: dict[str, Any]

    @property
    def text(self) -> str:
        """Everything the user reads: the fallback text and every mrkdwn block, unescaped."""
        parts = [str(self.response.get("text", ""))]
        for block in self.response.get("blocks", []):
            text = block.get("text")
            if isinstance(text, dict):
                parts.append(str(text.get("text", "")))
            for element in block.get("elements", []):
                parts.append(str(element.get("text", "")))
        joined = "\n".join(parts)
        return joined.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    @property
    def ephemeral(self) -> bool:
        return self.response.get("response_type") == "ephemeral"

    @property
    def safe(self) -> bool:
        body = {k: v for k, v in self.response.items() if k in ("text", "blocks")}
        return slack_message_violations(body) == []


def command_form(
    fake: SlackWithUsers,
    command: str,
    text: str,
    *,
    user: str = ADMIN,
    channel: str = COMMAND_CHANNEL,
    response_url: str | None = None,
) -> dict[str, str]:
    body = slash_command_body(
        command,
        text,
        response_url=response_url or fake.response_url(),
        channel_id=channel,
        user_id=user,
        team_id=fake.team_id,
    )
    return dict(urllib.parse.parse_qsl(body, keep_blank_values=True))


async def response_to(fake: SlackWithUsers, form: dict[str, str]) -> dict[str, Any]:
    response_id = form["response_url"].rsplit("/", 1)[-1]

    def found() -> dict[str, Any] | None:
        return next((r for r in fake.responses if r["id"] == response_id), None)

    await fake.wait_until(lambda: found() is not None, within=10)
    answer = found()
    assert answer is not None
    return answer


async def over_http(
    fake: SlackWithUsers,
    session: aiohttp.ClientSession,
    url: str,
    command: str,
    text: str = "",
    **who: str,
) -> SlackAnswer:
    form = command_form(fake, command, text, **who)
    body = urllib.parse.urlencode(form)
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(fake.signing_secret, stamp, body),
    }
    async with session.post(url, data=body, headers=headers) as posted:
        status, ack = posted.status, await posted.text()
    return SlackAnswer(status, ack, await response_to(fake, form))


async def over_socket(
    fake: SlackWithUsers, command: str, text: str = "", *, to: int = -1, **who: str
) -> SlackAnswer:
    """A slash command over Socket Mode, to one of the app's connections (`to`)."""
    form = command_form(fake, command, text, **who)
    ack = await fake.socket.deliver("slash_commands", form, to=to)
    return SlackAnswer(200, str(ack.get("payload", "")), await response_to(fake, form))
