"""The command line explains itself: `papers-bot` alone prints the help, every argument of
every command says what it is for, `run --help` says where settings come from, and every
date option reads and refuses a date the same way."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from bot.cli import build_parser, main
from bot.cli._settings import SETTINGS_GROUPS
from bot.cli._types import iso_day
from bot.config import Settings

#: The date options the command line has today; new ones are found by the walk below too.
KNOWN_DATE_OPTIONS = {
    ("preview", "--date"),
    ("post", "--date"),
    ("import", "--from"),
    ("import", "--to"),
    ("search", "--from"),
    ("search", "--to"),
}


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser of the tree (the top one, each command, each subcommand) by its path."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


def _arguments(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action._choices_actions  # one per command, holding its help line
        else:
            yield action


def _label(action: argparse.Action) -> str:
    return "/".join(action.option_strings) or str(action.metavar or action.dest)


def _is_date(action: argparse.Action) -> bool:
    return action.type is iso_day or any(part in action.dest for part in ("date", "day"))


def test_papers_bot_alone_prints_the_help_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 0
    alone = capsys.readouterr()
    with pytest.raises(SystemExit) as asked:
        main(["--help"])
    assert asked.value.code == 0
    assert alone.out == capsys.readouterr().out
    assert alone.err == ""
    assert alone.out.startswith("usage: papers-bot")
    for command in ("run", "parse", "preview", "post", "import", "search", "db"):
        assert f"\n    {command} " in alone.out


def test_every_argument_of_every_command_has_help() -> None:
    walked = 0
    problems = []
    for path, parser in _commands(build_parser()):
        for action in _arguments(parser):
            walked += 1
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                problems.append(f"papers-bot {' '.join(path)}: {_label(action)}")
    assert problems == [], "arguments without help:\n" + "\n".join(problems)
    assert walked > 30


def test_run_help_says_where_settings_come_from_their_groups_and_the_web_port(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as asked:
        main(["run", "--help"])
    assert asked.value.code == 0
    out = capsys.readouterr().out
    sources = [
        "built-in defaults",
        "config/papers-bot.toml",
        "PAPERS_BOT_CONFIG",
        ".env",
        "environment variables",
    ]
    positions = [out.index(source) for source in sources]
    assert positions == sorted(positions), "precedence must read lowest first"
    for group, _ in SETTINGS_GROUPS:
        assert f"\n  {group} " in out
    flat = " ".join(out.split())
    for name in Settings.model_fields:
        assert name.upper() in flat, name
    port = Settings.model_fields["http_port"].default
    assert f":{port} " in out
    assert "/healthz" in out
    assert "docs/configuration.md" in out


def test_settings_groups_hold_every_setting_once() -> None:
    grouped = [name for _, names in SETTINGS_GROUPS for name in names]
    assert sorted(grouped) == sorted(Settings.model_fields)


def test_every_date_option_parses_and_refuses_a_date_one_way(
    capsys: pytest.CaptureFixture[str],
) -> None:
    found = set()
    for path, parser in _commands(build_parser()):
        for action in parser._actions:
            if not action.option_strings or not _is_date(action):
                continue
            option = action.option_strings[-1]
            found.add((*path, option))
            assert action.type is iso_day, (path, option)
            assert action.metavar == "DATE", (path, option)
            command = " ".join(("papers-bot", *path))
            for bad in ("2031-02-30", "yesterday", "31.01.2031"):
                with pytest.raises(SystemExit) as refused:
                    main([*path, option, bad])
                assert refused.value.code == 2
                assert capsys.readouterr().err == (
                    f"{command}: argument {option}: expected a date as YYYY-MM-DD, "
                    f"got {bad!r} (see {command} --help)\n"
                )
    assert found >= KNOWN_DATE_OPTIONS
