"""Every `papers-bot` command ends a failure in one stderr line naming the cause, with exit
status 2 for a usage error (an argument or a setting) and 1 for anything else, and never a
traceback: a store that cannot be opened, a path that cannot be read, a bad argument."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.cli import main
from tests.conftest import PROJECT_ROOT, skip_or_fail
from tests.store.conftest import pg_url

DIGEST = """## Daily Papers (2031-02-03)

### [Zebra Models Count Stripes](https://arxiv.org/abs/3102.00001)

Vote: 42

- Zebra models count stripes.
"""

DATE_WORDS = "expected a date as YYYY-MM-DD, got '2031-02-30'"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Exit status and the one stderr line of `papers-bot ARGV`; fails on more lines."""
    capsys.readouterr()
    try:
        status = main(list(argv))
    except SystemExit as exc:  # argparse ends usage errors this way
        status = int(exc.code or 0)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return status, lines[0]


@pytest.fixture(autouse=True)
def _own_logging() -> Iterator[None]:
    """`post` points the root logger at the stderr of its test (capsys's, closed after it);
    the next test must not log into that."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


@pytest.fixture
def digest_file(tmp_path: Path) -> Path:
    path = tmp_path / "2031-02-03.md"
    path.write_text(DIGEST, encoding="utf-8")
    return path


def _pg_reachable() -> None:
    async def probe() -> None:
        conn = await asyncpg.connect(pg_url().replace("postgresql://", "postgres://"), timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        skip_or_fail(f"PostgreSQL not reachable at {pg_url()}: {exc}")


@pytest.fixture(params=["postgres-down", "no-such-database", "sqlite-path"])
def broken_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A DATABASE_URL that cannot be opened, and the words the failure must contain."""
    if request.param == "postgres-down":
        yield "postgresql://postgres@127.0.0.1:1/test", "Connection refused"
    elif request.param == "no-such-database":
        _pg_reachable()
        absent = f"papers_bot_absent_{uuid.uuid4().hex[:10]}"
        yield pg_url().rsplit("/", 1)[0] + f"/{absent}", f'database "{absent}" does not exist'
    else:
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        yield f"sqlite:///{blocker}/data/papers-bot.db", f"{blocker}/data: Not a directory"


STORE_COMMANDS = [
    ["search", "zebra"],
    ["db", "current"],
    ["db", "upgrade"],
    ["import", "{digest}"],
    ["import", "--from", "2031-02-03", "--to", "2031-02-03"],
    ["preview", "--date", "2031-02-03", "--platform", "discord"],
    ["post", "--date", "2031-02-03", "--to", "discord:123"],
    ["subscriptions", "list"],
    ["subscriptions", "add", "slack:T1/C1", "--top", "3"],
]


@pytest.mark.parametrize("argv", STORE_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_store_that_cannot_be_opened_is_one_line(
    argv: list[str],
    broken_store: tuple[str, str],
    digest_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, cause = broken_store
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SOURCES", "markdown")
    monkeypatch.setenv("DIGEST_URL_TEMPLATE", "http://127.0.0.1:1/{yyyy}/{mm}/{dd}.md")
    status, line = run(capsys, *(a.format(digest=digest_file) for a in argv))
    assert status == 1
    assert line.startswith(f"papers-bot {argv[0]}: cannot open the database ")
    assert line.endswith(cause)


def run_process(cwd: Path, *argv: str, **env: str) -> tuple[int, str]:
    """`python -m bot ARGV` as an operator runs it: exit status and the last stderr line,
    after checking there is no traceback and nothing but log lines before it."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **env, "PYTHONPATH": str(PROJECT_ROOT)},
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr
    *before, last = done.stderr.strip().splitlines()
    assert all(" INFO " in line for line in before), done.stderr
    return done.returncode, last


def test_run_with_a_store_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    url = f"sqlite:///{blocker}/papers-bot.db"
    status, line = run_process(
        tmp_path, "run", DATABASE_URL=url, HTTP_HOST="127.0.0.1", HTTP_PORT="0"
    )
    assert status == 1
    assert line == f"papers-bot run: cannot open the database {url}: {blocker}: File exists"


def test_register_commands_with_discord_unreachable_is_one_line(tmp_path: Path) -> None:
    status, line = run_process(
        tmp_path,
        "register-commands",
        DISCORD_TOKEN="token",
        DISCORD_API_BASE="http://127.0.0.1:1/api/v10",
    )
    assert status == 1
    assert line.startswith("papers-bot register-commands: discord login: connection failed")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "papers-bot: the following arguments are required: COMMAND"),
        (["fly"], "papers-bot: argument COMMAND: invalid choice: 'fly'"),
        (["parse"], "papers-bot parse: the following arguments are required: FILE"),
        (["search", ""], "papers-bot search: argument QUERY: empty: give an arXiv id"),
        (["search", "  "], "papers-bot search: argument QUERY: empty"),
        (["search", "x", "--from", "2031-02-30"], f"argument --from: {DATE_WORDS}"),
        (["search", "x", "--to", "2031-02-30"], f"argument --to: {DATE_WORDS}"),
        (
            ["search", "x", "--from", "2031-02-04", "--to", "2031-02-03"],
            "papers-bot search: --to 2031-02-03 is before --from 2031-02-04",
        ),
        (["search", "x", "--limit", "0"], "argument --limit: must be >= 1, got 0"),
        (["search", "x", "--min-votes", "many"], "argument --min-votes: expected a whole number"),
        (["import"], "papers-bot import: give either PATH or --from DATE --to DATE"),
        (["import", "--from", "2031-02-03"], "papers-bot import: --from and --to go together"),
        (["import", "--from", "2031-02-30", "--to", "2031-03-01"], DATE_WORDS),
        (
            ["import", "--from", "2031-02-04", "--to", "2031-02-03"],
            "papers-bot import: --to 2031-02-03 is before --from 2031-02-04",
        ),
        (["preview", "--platform", "slack"], "papers-bot preview: give either FILE or --date D"),
        (["preview", "--date", "2031-02-30", "--platform", "slack"], DATE_WORDS),
        (["preview", "--date", "2031-02-03"], "required: --platform"),
        (["post", "--date", "2031-02-30"], DATE_WORDS),
        (["post", "--date", "2031-02-03", "--to", "fax:1"], "unknown destination kind 'fax'"),
        (["post", "--date", "2031-02-03", "--to", "discord:general"], "is a number"),
        (["db"], "papers-bot db: the following arguments are required: ACTION"),
        (["db", "upgrade", "9999"], "papers-bot db: unknown revision '9999'; known: 0001"),
        (["register-commands", "--guild", "home"], "a Discord guild id is a number"),
        (["subscriptions"], "papers-bot subscriptions: the following arguments are required"),
        (["subscriptions", "add", "fax:1"], "argument TARGET: unknown target kind 'fax'"),
        (
            ["subscriptions", "add", "slack:T1/C1", "--top", "0"],
            "papers-bot subscriptions add: top: must be between 1 and 50, got 0",
        ),
        (["subscriptions", "set", "slack:C1"], "papers-bot subscriptions set: nothing to change"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, line = run(capsys, *argv)
    assert status == 2
    assert expected in line
    assert line.endswith("--help)")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["parse", "{missing}"], "papers-bot parse: {missing}: cannot read: No such file"),
        (["parse", "{folder}"], "papers-bot parse: {folder}: cannot read: Is a directory"),
        (
            ["preview", "{missing}", "--platform", "discord"],
            "papers-bot preview: {missing}: cannot read: No such",
        ),
        (["post", "{missing}", "--dry-run"], "papers-bot post: {missing}: cannot read: No such"),
        (["import", "{missing}"], "papers-bot import: {missing}: no such file or folder"),
        (["import", "{folder}"], "papers-bot import: {folder}: no digest files (*.md, *.json)"),
    ],
)
def test_unreadable_paths_are_one_line_and_exit_1(
    argv: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = {"missing": tmp_path / "nope.md", "folder": tmp_path / "empty"}
    names["folder"].mkdir()
    status, line = run(capsys, *(a.format(**names) for a in argv))
    assert status == 1
    assert line.startswith(expected.format(**names))


@pytest.mark.parametrize(
    ("env", "argv", "expected"),
    [
        (
            {"DISCORD_TOKEN": "x", "DISCORD_APPLICATION_ID": "abc"},
            ["register-commands"],
            "papers-bot register-commands: invalid configuration: DISCORD_APPLICATION_ID: "
            "expected a Discord application id (digits), got 'abc'",
        ),
        ({}, ["register-commands"], "papers-bot register-commands: DISCORD_TOKEN is not set"),
        (
            {"PAPERS_BOT_CONFIG": "missing.toml"},
            ["search", "zebra"],
            "papers-bot search: invalid configuration: PAPERS_BOT_CONFIG: missing.toml does not "
            "exist",
        ),
        (
            {"HTTP_TIMEOUT": "soon"},
            ["import", "--from", "2031-02-03", "--to", "2031-02-03"],
            "papers-bot import: invalid configuration: HTTP_TIMEOUT: ",
        ),
        (
            {"DATABASE_URL": "mysql://db/papers"},
            ["db", "current"],
            "papers-bot db: DATABASE_URL: unsupported database 'mysql'",
        ),
        (
            {"DISCORD_WEBHOOK_URLS": "https://example.org/not-a-webhook"},
            ["post", "{digest}"],
            "papers-bot post: invalid configuration: DISCORD_WEBHOOK_URLS, SLACK_WEBHOOK_URLS: "
            "webhook URL is neither a Discord",
        ),
    ],
)
def test_bad_settings_are_one_line_and_exit_2(
    *,
    env: dict[str, str],
    argv: list[str],
    expected: str,
    digest_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    status, line = run(capsys, *(a.format(digest=digest_file) for a in argv))
    assert line.startswith(expected)
    assert status == 2
