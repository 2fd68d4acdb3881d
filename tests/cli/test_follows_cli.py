"""`papers-bot subscriptions follow|unfollow`, run as an operator runs it, on SQLite and
PostgreSQL: the follows of /follow through the same checks and store calls, shown by `list`
(table and JSON) and by every action's line; bad names refused in /follow's words."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from bot.commands.env import CommandDefaults, CommandEnv
from bot.commands.replies import Tone
from bot.commands.router import Commands
from bot.delivery.planner import Planner
from bot.store import open_store
from bot.store.rows import Follow, FollowKind
from tests.cli.test_subscriptions_cli import TARGET, cli, cli_json, failure
from tests.commands.samples import NOW
from tests.commands.test_handlers import invocation
from tests.delivery.conftest import database_url, pg_database, postgres_url

__all__ = ["database_url", "pg_database", "postgres_url"]  # the two-backend fixture


def follows(url: str) -> tuple[Follow, ...]:
    async def read() -> tuple[Follow, ...]:
        async with open_store(url) as store:
            [sub] = await store.subscriptions.list()
            return await store.follows.of(sub.id)

    return asyncio.run(read())


def test_follow_and_unfollow_round_trip(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    assert failure(capsys, "follow", TARGET, "--org", "google") == (
        1,
        f"papers-bot subscriptions: {TARGET} has no subscription",
    )
    cli(capsys, "add", TARGET)

    followed = cli_json(capsys, "follow", TARGET, "--author", "Zoë  Hartmann-Kim")
    assert followed["result"] == "followed"
    assert followed["subscription"]["follows"] == [{"kind": "author", "name": "Zoë Hartmann-Kim"}]
    status, out, _ = cli(capsys, "follow", "slack:C0NEWS0001", "--org", "tidal-lab")
    assert (status, out.split(": ")[0]) == (0, f'{TARGET} follows org "tidal-lab" now')
    assert '; following author "Zoë Hartmann-Kim", org "tidal-lab"; active;' in out
    again = cli_json(capsys, "follow", TARGET, "--author", "zoe hartmann kim")
    assert again["result"] == "already_following"
    assert follows(database_url) == (
        Follow(FollowKind.AUTHOR, "Zoë Hartmann-Kim"),
        Follow(FollowKind.ORG, "tidal-lab"),
    )

    status, out, _ = cli(capsys, "list")
    header, row = out.splitlines()
    assert "FOLLOWING" in header
    assert 'author "Zoë Hartmann-Kim", org "tidal-lab"' in row

    gone = cli_json(capsys, "unfollow", TARGET, "--org", "TIDAL LAB")
    assert (gone["result"], len(gone["subscription"]["follows"])) == ("unfollowed", 1)
    assert failure(capsys, "unfollow", TARGET, "--org", "tidal-lab") == (
        1,
        f'papers-bot subscriptions: {TARGET} does not follow org "tidal-lab"',
    )
    status, out, _ = cli(capsys, "unfollow", TARGET, "--all")
    assert out.startswith(f'{TARGET} no longer follows author "Zoë Hartmann-Kim": ')
    assert cli_json(capsys, "unfollow", TARGET, "--all")["result"] == "followed_nobody"
    assert follows(database_url) == ()


BAD = [
    ("follow", ("--author", "@here"), "author=@here"),
    ("follow", ("--author", "A", "--org", "b"), "author=A org=b"),
    ("follow", (), ""),
    ("unfollow", ("--org", "b", "--all"), "org=b --all"),
    ("follow", ("--org", "x" * 101), "org=" + "x" * 101),
]
"""Each bad request as the command line takes it and as Slack users type it."""


@pytest.mark.parametrize(("action", "argv", "typed"), BAD)
async def test_bad_names_are_refused_in_the_words_of_follow(
    *,
    action: str,
    argv: tuple[str, ...],
    typed: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'follows.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    async with open_store(url) as store:
        env = CommandEnv(store, Planner(store, clock=lambda: NOW), CommandDefaults())
        reply = await Commands(env).run(dataclasses.replace(invocation(action), text=typed))
    assert reply.tone is Tone.ERROR
    command = f"papers-bot subscriptions {action}"
    status, line = await asyncio.to_thread(failure, capsys, action, TARGET, *argv)
    assert (status, line) == (2, f"{command}: {reply.plain_text} (see {command} --help)")
