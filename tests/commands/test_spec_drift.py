"""`bot.commands.spec` is the one source of the slash commands: what Discord is sent when
the commands are registered, what Slack users are shown as usage, and the bounds both
platforms' values are checked against must all say what the spec says. Every test walks
every command and option, so an option added to the spec and missing anywhere fails here.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest

from bot.adapters.discord_bot import DiscordBotAdapter
from bot.commands.errors import InvalidArgumentError
from bot.commands.spec import COMMANDS, MIN_VOTES, TOP, CommandSpec, OptionKind, OptionSpec
from bot.commands.text_options import parse_text, usage
from tests.adapters.cli_runner import PROJECT_ROOT
from tests.commands.discord_interactions import answer_of, inject
from tests.commands.slack_requests import over_http
from tests.commands.slack_users import SlackWithUsers
from tests.fakes.discord import FakeDiscord

DISCORD_TYPES = {OptionKind.TEXT: 3, OptionKind.INTEGER: 4, OptionKind.FLAG: 5}
"""Discord's application-command option types: STRING, INTEGER, BOOLEAN."""
MANAGE_CHANNELS = "16"
GUILD_ONLY = [0]


def discord_option(option: OptionSpec) -> dict[str, Any]:
    """The option as Discord's API documents it, read straight from the spec."""
    expected: dict[str, Any] = {
        "name": option.name,
        "description": option.description,
        "type": DISCORD_TYPES[option.kind],
        "required": option.required,
    }
    if option.max_length is not None:
        expected["max_length"] = option.max_length
    if option.minimum is not None:
        expected["min_value"] = option.minimum
    if option.maximum is not None:
        expected["max_value"] = option.maximum
    if option.choices:
        expected["choices"] = [{"name": value, "value": value} for value in option.choices]
    if option.autocomplete:
        expected["autocomplete"] = True
    return expected


async def test_registered_discord_commands_are_the_spec(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter
) -> None:
    await discord_bot.register_commands()
    registered = {command["name"]: command for command in fake_discord.commands["global"]}
    assert sorted(registered) == sorted(COMMANDS)
    for name, spec in COMMANDS.items():
        command = registered[name]
        assert command["description"] == spec.description, name
        assert command["options"] == [discord_option(o) for o in spec.options], name
        if spec.manages:
            assert str(command["default_member_permissions"]) == MANAGE_CHANNELS, name
            assert command["contexts"] == GUILD_ONLY, name
            assert command["dm_permission"] is False, name
        else:
            assert command["default_member_permissions"] is None, name
            assert command["dm_permission"] is True, name


def test_the_spec_holds_what_discord_accepts() -> None:
    """Discord refuses a description over 100 characters (the spec refuses it at import)
    and lists required options first (discord.py would reorder them, away from the
    spec's order and from Slack's positional order)."""
    for spec in COMMANDS.values():
        required = [option.required for option in spec.options]
        assert required == sorted(required, reverse=True), spec.name
    with pytest.raises(ValueError, match="over 100"):
        OptionSpec("long", "x" * 101)
    with pytest.raises(ValueError, match="over 100"):
        CommandSpec("long", "x" * 101)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_slack_usage_shows_every_option_with_its_choices_and_bounds(name: str) -> None:
    spec = COMMANDS[name]
    line = usage(spec)
    assert len(re.findall(r"(?:^| )[\[<]", line)) == len(spec.options), line
    for option in spec.options:
        if option.kind is OptionKind.FLAG:
            assert f"[--{option.name}]" in line
        elif option.name == spec.free_text:
            assert (option.placeholder or option.name) in line
        elif option.name in spec.positional:
            assert f"[[{option.name}=]" in line
        else:
            assert f"[{option.name}=" in line
        if option.choices:
            assert "|".join(option.choices) in line
        if option.kind is OptionKind.INTEGER:
            assert f"{option.minimum}-{option.maximum}" in line


def test_slack_usage_lines_read_as_before() -> None:
    assert usage(COMMANDS["paper"]) == "<arXiv id | URL | words> [--share]"
    assert usage(COMMANDS["papers"]) == (
        "[[date=]YYYY-MM-DD] [[min_votes=]0-100000] [[top=]1-50] [--share]"
    )
    assert usage(COMMANDS["subscribe"]) == (
        '[min_votes=0-100000] [top=1-50] [keywords="a, b"] [time=HH:MM] '
        "[timezone=Area/City] [source=hf|markdown|feed|all] [layout=channel|thread] "
        "[no_papers=skip|note] [live_votes=on|off]"
    )
    assert usage(COMMANDS["pause"]) == "[reason]"
    assert usage(COMMANDS["digest"]) == ""


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_slack_names_every_option_and_alias(name: str) -> None:
    """A mistyped option name is answered with every name and alias the command takes.
    A free-text command never gets that answer (its text is the value), so an alias
    there would be accepted but listed nowhere: the spec has none."""
    spec = COMMANDS[name]
    if spec.free_text is not None:
        assert all(not option.aliases for option in spec.options), name
        return
    with pytest.raises(InvalidArgumentError) as caught:
        parse_text(spec, "no_such_option=1")
    message = str(caught.value)
    assert f"/{name} has no option 'no_such_option'" in message
    listed = message.partition("(options: ")[2]
    for option in spec.options:
        for word in (option.name, *option.aliases):
            assert re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", listed), word
        for alias in option.aliases:
            assert parse_text(spec, f"{alias}=1") == {option.name: "1"}


def manifest_usage_hints() -> dict[str, str | None]:
    manifest = (PROJECT_ROOT / "config" / "slack-manifest.yml").read_text(encoding="utf-8")
    hints: dict[str, str | None] = {}
    for block in re.split(r"^\s+- command: ", manifest, flags=re.MULTILINE)[1:]:
        name = block.split(None, 1)[0].removeprefix("/")
        found = re.search(r"^\s+usage_hint: '(.*)'\s*$", block, re.MULTILINE)
        hints[name] = found.group(1) if found else None
    return hints


def test_slack_manifest_usage_hints_are_the_generated_usage() -> None:
    """Slack shows the manifest's usage_hint while a command is typed."""
    expected = {name: usage(spec) or None for name, spec in COMMANDS.items()}
    assert manifest_usage_hints() == expected


@pytest.mark.usefixtures("discord_bot")
@pytest.mark.parametrize(
    "case",
    [
        ("papers", TOP, 450),
        ("papers", MIN_VOTES, -1),
        ("subscribe", TOP, -1),
        ("subscribe", MIN_VOTES, 1),
    ],
)
async def test_both_platforms_refuse_a_value_by_the_spec_bounds(
    fake_discord: FakeDiscord,
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    case: tuple[str, OptionSpec, int],
) -> None:
    """The case's last number steps beyond the spec's maximum (positive) or below its
    minimum (negative); Discord's int and Slack's text get the same refusal."""
    command, option, past = case
    low, high = option.minimum, option.maximum
    assert low is not None
    assert high is not None
    value = high + past if past > 0 else low + past
    expected = f"⚠️ {option.name}: must be between {low} and {high}, got {value}"
    discord = await answer_of(
        fake_discord, await inject(fake_discord, command, {option.name: value})
    )
    slack = await over_http(
        fake_slack, session, slack_http, f"/{command}", f"{option.name}={value}"
    )
    assert discord.text == expected
    assert slack.response["text"] == expected
