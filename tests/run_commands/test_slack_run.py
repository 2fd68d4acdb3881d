"""`papers-bot run` as a real process with only SLACK_* settings: slash commands arrive as
signed HTTP requests on the bot's own web server (/slack/events) when there is no app-level
token, or over Socket Mode when there is, and are answered through the response_url."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.models import ChannelRef, Platform
from tests.commands.slack_requests import over_http, over_socket
from tests.commands.slack_users import ADMIN, COMMAND_CHANNEL, MEMBER, SlackWithUsers
from tests.fakes.slack_signing import post_slash_command
from tests.run_commands.support import (
    Launcher,
    assert_quiet_log,
    health_when,
)

EVENTS_PATH = "/slack/events"
SESSION_OVER_CLOSE = 1000


def slack_env(fake: SlackWithUsers, *, socket_mode: bool) -> dict[str, str]:
    env = fake.settings_env()
    if not socket_mode:
        del env["SLACK_APP_TOKEN"]
    return env


async def test_run_serves_slack_commands_at_its_http_endpoint(
    launcher: Launcher,
    fake_slack: SlackWithUsers,
    http: aiohttp.ClientSession,
) -> None:
    env = slack_env(fake_slack, socket_mode=False)
    bot, base = await launcher.start(env)
    await bot.wait_for_log(r"slash commands: slack at the HTTP endpoint /slack/events", within=5)
    url = base + EVENTS_PATH

    paper = await over_http(fake_slack, http, url, "/paper", "lantern")
    assert (paper.ack_status, paper.ack_body) == (200, "")
    assert paper.ephemeral
    assert "Lanterns for Long Context Retrieval" in paper.text
    assert "2501.00101" in paper.text

    forged = await post_slash_command(
        http,
        url,
        fake_slack.signing_secret,
        command="/subscribe",
        text="top=3",
        response_url=fake_slack.response_url(),
        tamper="forged",
    )
    assert forged.status == 401

    refused = await over_http(fake_slack, http, url, "/subscribe", "top=5", user=MEMBER)
    assert refused.ephemeral
    assert "needs a workspace admin or owner" in refused.text, refused.text
    subscribed = await over_http(fake_slack, http, url, "/subscribe", "top=4 time=06:45")
    assert "Subscribed this channel." in subscribed.text, subscribed.text

    health = await health_when(http, base, lambda h: h["checks"]["scheduler"]["post_jobs"] == 1)
    assert health["checks"]["adapters"]["slack"] == {"ok": True, "error": None, "commands": "http"}

    assert await bot.stop() == 0
    assert_quiet_log(bot.stderr)
    [saved] = await launcher.subscriptions()
    assert saved.channel == ChannelRef(Platform.SLACK, fake_slack.team_id, COMMAND_CHANNEL)
    assert (saved.settings.top_n, saved.settings.post_time) == (4, "06:45")
    assert ADMIN in str(saved.created_by)


async def test_run_answers_slack_commands_over_socket_mode(
    launcher: Launcher,
    fake_slack: SlackWithUsers,
    http: aiohttp.ClientSession,
) -> None:
    env = slack_env(fake_slack, socket_mode=True)
    bot, base = await launcher.start(env)
    await bot.wait_for_log(r"slash commands: slack over Socket Mode", within=5)
    await asyncio.wait_for(fake_slack.socket.connected.wait(), 10)
    [socket] = fake_slack.socket.connections

    paper = await over_socket(fake_slack, "/paper", "lantern")
    assert paper.ephemeral
    assert "Lanterns for Long Context Retrieval" in paper.text
    subscribed = await over_socket(fake_slack, "/subscribe", "min_votes=7")
    assert "Subscribed this channel." in subscribed.text, subscribed.text

    # With Socket Mode on, the bot's web server has no Slack endpoint to attack.
    delivery = await post_slash_command(
        http, base + EVENTS_PATH, fake_slack.signing_secret, command="/paper", text="lantern"
    )
    assert delivery.status == 404
    health = await health_when(http, base, lambda h: h["checks"]["scheduler"]["post_jobs"] == 1)
    assert health["checks"]["adapters"]["slack"]["commands"] == "socket-mode"

    assert await bot.stop() == 0
    assert socket.closed
    assert fake_slack.socket.connections == []
    # The session ended on purpose, with a close frame (a dropped one would reconnect).
    assert fake_slack.socket.client_close_codes == [SESSION_OVER_CLOSE]
    assert_quiet_log(bot.stderr)
    [saved] = await launcher.subscriptions()
    assert saved.settings.min_votes == 7
