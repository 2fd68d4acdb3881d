"""`papers-bot run` when a platform login fails at start-up: /healthz reports it without
touching the platform, and a login that failed for a passing reason is retried in the
background until commands are answered."""

from __future__ import annotations

import aiohttp

from tests.commands.slack_requests import over_http
from tests.commands.slack_users import SlackWithUsers
from tests.fakes.discord import FakeDiscord
from tests.run_commands.support import Launcher, health_when
from tests.run_commands.test_slack_run import EVENTS_PATH, slack_env

PROBES = 5


async def test_a_health_probe_never_logs_in(
    launcher: Launcher, fake_discord: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    """A refused token stays refused: each probe reports it, none asks Discord again."""
    env = {**fake_discord.settings_env(), "DISCORD_TOKEN": "a-token-discord-refuses"}
    bot, base = await launcher.start(env)
    await bot.wait_for_log(r"ERROR bot\.app: discord did not start: Discord refused", within=5)
    logins = len(fake_discord.requests_to("/users/@me"))
    assert logins == 1

    for _ in range(PROBES):
        async with http.get(base + "/healthz") as response:
            assert response.status == 503
            report = await response.json()
        discord = report["checks"]["adapters"]["discord"]
        assert discord["ok"] is False
        assert "refused the bot token" in discord["error"]
    assert len(fake_discord.requests_to("/users/@me")) == logins

    assert await bot.stop() == 0
    assert len([line for line in bot.stderr if "did not start" in line]) == 1


async def test_a_failed_login_is_retried_in_the_background(
    launcher: Launcher, fake_slack: SlackWithUsers, http: aiohttp.ClientSession
) -> None:
    """auth.test fails once at start-up; nobody probes or posts, yet Slack logs in and the
    command endpoint, which answers 503 until then, starts answering."""
    fake_slack.fail_next(500, path="auth.test")
    bot, base = await launcher.start(slack_env(fake_slack, socket_mode=False))
    await bot.wait_for_log(r"slack did not start", within=5)
    await bot.wait_for_log(r"INFO bot\.app: slack logged in", within=15)

    health = await health_when(http, base, lambda h: h["ready"])
    assert health["checks"]["adapters"]["slack"] == {"ok": True, "error": None, "commands": "http"}
    answer = await over_http(fake_slack, http, base + EVENTS_PATH, "/papers")
    assert answer.ack_status == 200
    assert "Papers of" in answer.text, answer.text

    assert await bot.stop() == 0
