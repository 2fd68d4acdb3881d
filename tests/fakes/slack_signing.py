"""Delivering slash commands to the bot's Slack HTTP endpoint the way Slack does: a form
POST signed with the app's signing secret (v0 HMAC-SHA256 over `v0:{ts}:{body}`), and the
forged or stale variants an attacker could send."""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.parse
from dataclasses import dataclass
from typing import Literal

import aiohttp

Tamper = Literal["none", "forged", "stale", "unsigned"]
STALE_AGE = 5 * 60 + 30
"""Slack's window is five minutes; anything older must be refused."""


def slack_signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slash_command_body(
    command: str,
    text: str,
    *,
    response_url: str,
    channel_id: str = "C0FAKE0001",
    user_id: str = "U0FAKE0001",
    team_id: str = "T0FAKE0001",
    api_app_id: str = "A0FAKE0001",
) -> str:
    return urllib.parse.urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "team_domain": "fake",
            "channel_id": channel_id,
            "channel_name": "papers",
            "user_id": user_id,
            "user_name": "reader",
            "command": command,
            "text": text,
            "api_app_id": api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "1.2.fake",
        }
    )


@dataclass(frozen=True, slots=True)
class Delivery:
    status: int
    body: str


async def post_slash_command(
    session: aiohttp.ClientSession,
    url: str,
    signing_secret: str,
    *,
    command: str = "/papers",
    text: str = "",
    response_url: str = "http://127.0.0.1:9/unused",
    tamper: Tamper = "none",
) -> Delivery:
    """POST a slash command to `url`; `tamper` picks a wrong secret, an old timestamp or no
    signature at all."""
    body = slash_command_body(command, text, response_url=response_url)
    age = STALE_AGE if tamper == "stale" else 0
    timestamp = str(int(time.time()) - age)
    secret = "not-the-signing-secret" if tamper == "forged" else signing_secret
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if tamper != "unsigned":
        headers["X-Slack-Request-Timestamp"] = timestamp
        headers["X-Slack-Signature"] = slack_signature(secret, timestamp, body)
    timeout = aiohttp.ClientTimeout(total=10)
    async with session.post(url, data=body, headers=headers, timeout=timeout) as response:
        return Delivery(response.status, await response.text())
