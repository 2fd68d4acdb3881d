"""`papers-bot register-commands` in a child process against the fake Discord: one bulk
PUT, to one guild (instant) or globally, configured only by environment variables."""

from __future__ import annotations

import re

from bot.commands.spec import COMMANDS
from tests.adapters.cli_runner import PROJECT_ROOT, run_cli
from tests.commands.samples import MANAGEMENT
from tests.fakes.discord import FakeDiscord

EXPECTED = {"paper", "papers", *MANAGEMENT}


async def test_register_in_one_guild_then_globally(fake_discord: FakeDiscord) -> None:
    env = fake_discord.settings_env()
    guild = str(fake_discord.guild_id)
    result = await run_cli("register-commands", "--guild", guild, env=env)
    assert result.code == 0, result.stderr
    assert f"registered {len(EXPECTED)} commands in guild {guild} (available now)" in result.stdout
    assert {c["name"] for c in fake_discord.commands[guild]} == EXPECTED
    [subscribe] = [c for c in fake_discord.commands[guild] if c["name"] == "subscribe"]
    options = {o["name"]: o for o in subscribe["options"]}
    assert [c["value"] for c in options["no_papers"]["choices"]] == ["skip", "note"]
    assert [c["value"] for c in options["layout"]["choices"]] == ["channel", "thread"]
    assert "global" not in fake_discord.commands
    [put] = fake_discord.requests_to(f"/guilds/{guild}/commands", "PUT")
    assert put.headers["Authorization"] == f"Bot {fake_discord.token}"

    result = await run_cli("register-commands", env=env)
    assert result.code == 0, result.stderr
    assert "globally" in result.stdout
    assert {c["name"] for c in fake_discord.commands["global"]} == EXPECTED


async def test_register_refuses_bad_input_in_one_line(fake_discord: FakeDiscord) -> None:
    env = fake_discord.settings_env()
    bad_guild = await run_cli("register-commands", "--guild", "general", env=env)
    assert bad_guild.code == 2
    assert "a Discord guild id is a number" in bad_guild.stderr
    no_token = {k: v for k, v in env.items() if k != "DISCORD_TOKEN"}
    missing = await run_cli("register-commands", env=no_token)
    assert missing.code == 2
    assert missing.stderr.strip() == "papers-bot register-commands: DISCORD_TOKEN is not set"
    wrong = await run_cli("register-commands", env={**env, "DISCORD_TOKEN": "wrong"})
    assert wrong.code == 1
    assert "Traceback" not in wrong.stderr
    assert fake_discord.commands == {}


def test_slack_manifest_declares_exactly_the_commands() -> None:
    """Slack learns commands from the manifest, not an API call: it must not drift."""
    manifest = (PROJECT_ROOT / "config" / "slack-manifest.yml").read_text(encoding="utf-8")
    declared = re.findall(r"^\s+- command: /(\S+)\s*$", manifest, re.MULTILINE)
    assert sorted(declared) == sorted(COMMANDS)
    assert manifest.count("should_escape: false") == len(COMMANDS)
    for scope in ("commands", "users:read", "channels:read", "groups:read", "chat:write"):
        assert re.search(rf"^\s+- {re.escape(scope)}\s", manifest, re.MULTILINE), scope
