"""`papers-bot subscriptions`, run as an operator runs it (argv in; exit status, stdout and
stderr out) against a real store: every action round-trips through SQLite and PostgreSQL,
bad values are refused in exactly the words /subscribe and /pause use (both paths are run
here, so a drift between them fails), targets read back as they are printed, and a running
bot's jobs and planner take up what the command line changed."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from bot.cli import main
from bot.cli._targets import parse_target, target_text
from bot.commands.env import CommandDefaults, CommandEnv
from bot.commands.replies import Tone
from bot.commands.router import Commands
from bot.commands.spec import COMMANDS
from bot.delivery.jobs import job_id
from bot.delivery.planner import Planner
from bot.delivery.targets import CONSOLE_CHANNEL
from bot.models import WEBHOOK_WORKSPACE, ChannelRef, Platform, SourceKind
from bot.sources.markdown import parse_markdown_digest
from bot.store import open_store
from bot.store.rows import DeliveryState, Subscription, SubscriptionSettings
from tests.app.content import Entry, markdown_digest
from tests.commands.test_handlers import invocation
from tests.conftest import PROJECT_ROOT
from tests.delivery.conftest import database_url, pg_database, postgres_url
from tests.delivery.support import FakeClock, running_engine
from tests.fakes.slack import FakeSlack

__all__ = ["database_url", "pg_database", "postgres_url"]  # the two-backend fixture

PROG = "papers-bot subscriptions"
TEAM_CHANNEL = ChannelRef(Platform.SLACK, "T0TEAM0001", "C0NEWS0001")
TARGET = "slack:T0TEAM0001/C0NEWS0001"
KEYS = [
    "target",
    "platform",
    "transport",
    "workspace",
    "channel",
    "state",
    "paused_reason",
    "post_time",
    "timezone",
    "next_post",
    "top",
    "min_votes",
    "keywords",
    "sources",
    "language",
    "layout",
    "no_papers",
    "live_votes",
    "channel_kind",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "follows",
]
DISCORD_HOOK = "https://discord.com/api/webhooks/123456/s3cr3t-token"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`papers-bot subscriptions ARGV`: exit status, stdout, stderr (never a traceback)."""
    capsys.readouterr()
    try:
        status = main(["subscriptions", *argv])
    except SystemExit as exc:  # argparse ends usage errors this way
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    status, out, err = cli(capsys, *argv, "--json")
    assert (status, err) == (0, "")
    [line] = out.splitlines()
    found: dict[str, Any] = json.loads(line)
    return found


def failure(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Exit status and the one stderr line of a failing command; nothing on stdout."""
    status, out, err = cli(capsys, *argv)
    assert out == ""
    [line] = err.splitlines()
    return status, line


def stored(url: str) -> list[Subscription]:
    async def read() -> list[Subscription]:
        async with open_store(url) as store:
            return await store.subscriptions.list()

    return asyncio.run(read())


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'subs.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_every_action_round_trips_through_the_store(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Europe/Berlin")
    options = ["--top", "5", "--min-votes", "10", "--keywords", "LLM, agents", "--time", "8:30"]
    options += [
        "--source",
        "hf",
        "--layout",
        "Thread",
        "--no-papers",
        "note",
        "--live-votes",
        "off",
    ]

    added = cli_json(capsys, "add", TARGET, *options)
    assert added["result"] == "added"
    assert list(added["subscription"]) == KEYS
    [sub] = stored(database_url)
    assert sub.channel == TEAM_CHANNEL
    assert sub.settings == SubscriptionSettings(
        min_votes=10,
        top_n=5,
        keywords=("LLM", "agents"),
        sources=(SourceKind.HF,),
        post_time="08:30",
        timezone="Europe/Berlin",  # DEFAULT_TIMEZONE, as /subscribe starts a new one
        layout="thread",
        no_papers="note",
        live_votes=False,
    )
    assert (sub.created_by, sub.paused) == ("cli", False)
    assert added["subscription"]["live_votes"] is False

    # The channel id alone names it when one workspace has it; only what is given changes.
    changed = cli_json(capsys, "set", "slack:C0NEWS0001", "--keywords", "none", "--top", "7")
    assert changed["result"] == "updated"
    [sub] = stored(database_url)
    assert (sub.settings.keywords, sub.settings.top_n, sub.settings.min_votes) == ((), 7, 10)
    again = cli_json(capsys, "set", TARGET, "--top", "7")
    assert again["result"] == "unchanged"
    live = cli_json(capsys, "set", TARGET, "--live-votes", "ON")
    assert (live["result"], live["subscription"]["live_votes"]) == ("updated", True)

    paused = cli_json(capsys, "pause", TARGET, "--reason", "team offsite")
    assert (paused["result"], paused["subscription"]["state"]) == ("paused", "paused")
    assert paused["subscription"]["next_post"] is None
    kept = cli_json(capsys, "pause", TARGET)
    assert (kept["result"], kept["subscription"]["paused_reason"]) == (
        "already_paused",
        "team offsite",
    )
    [sub] = stored(database_url)
    assert (sub.paused, sub.paused_reason, sub.updated_by) == (True, "team offsite", "cli")

    status, out, _ = cli(capsys, "list", "--json")
    [listed] = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    assert listed == kept["subscription"]
    assert cli(capsys, "list", "--state", "active", "--json")[:2] == (0, "")
    assert cli(capsys, "list", "--platform", "discord", "--json")[:2] == (0, "")

    resumed = cli_json(capsys, "resume", TARGET)
    assert (resumed["result"], resumed["subscription"]["state"]) == ("resumed", "active")
    assert dt.datetime.fromisoformat(resumed["subscription"]["next_post"]).tzinfo is not None
    assert cli_json(capsys, "resume", TARGET)["result"] == "not_paused"
    assert not stored(database_url)[0].paused

    removed = cli_json(capsys, "remove", TARGET)
    assert (removed["result"], removed["subscription"]["target"]) == ("removed", TARGET)
    assert stored(database_url) == []
    assert cli(capsys, "list") == (0, "", "no subscriptions\n")


def test_people_get_a_table_and_one_line_per_change(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "token")
    status, out, _ = cli(capsys, "add", "discord:111/222", "--keywords", "에이전트, LLM")
    assert status == 0
    assert out.startswith(
        "added discord:111/222: 09:00 UTC, top 10, min votes 0, keywords 에이전트, LLM, "
        "sources all, layout channel, empty days skip, live votes on; active; next post "
    )
    cli(capsys, "add", "discord:111/333")
    status, out, _ = cli(capsys, "pause", "discord:333", "--reason", "quiet week")
    assert out.startswith("paused discord:111/333: 09:00 UTC, top 10")
    assert "; paused (quiet week); next post none while paused\n" in out

    status, out, _ = cli(capsys, "list")
    header, *rows = out.splitlines()
    assert header.split() == [
        *("TARGET", "TIME", "TOP", "MIN", "VOTES", "KEYWORDS", "SOURCES"),
        *("LAYOUT", "EMPTY", "DAYS", "LIVE", "VOTES", "FOLLOWING", "STATE"),
    ]
    assert rows[0].split("  ")[0] == "discord:111/222"
    assert rows[1].endswith("paused (quiet week)")
    # Columns line up on a terminal although a Hangul letter takes two cells.
    column = header.index("SOURCES")
    assert rows[1][column:].startswith("all")
    assert cell_len(rows[0][: rows[0].index("  all  ") + 2]) == column

    status, out, _ = cli(capsys, "remove", "discord:111/222")
    assert out == "removed discord:111/222 and its queued posts\n"


BAD_VALUES = [
    ("top", "0"),
    ("top", "many"),
    ("min_votes", "-1"),
    ("keywords", "<@here>"),
    ("keywords", ", ".join(f"k{n}" for n in range(11))),
    ("time", "25:00"),
    ("timezone", "asia/seoul"),
    ("timezone", "Mars/Olympus"),
    ("source", "twitter"),
    ("layout", "grid"),
    ("no_papers", "sometimes"),
    ("live_votes", "maybe"),
]


@pytest.mark.parametrize(("option", "value"), BAD_VALUES)
async def test_bad_values_are_refused_in_the_words_of_subscribe(
    option: str,
    value: str,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    now = dt.datetime(2025, 3, 4, 9, 0, tzinfo=dt.UTC)
    async with open_store(sqlite_url) as store:
        env = CommandEnv(store, Planner(store, clock=lambda: now), CommandDefaults())
        typed = f"{option}={shlex.quote(value)}"
        slash = dataclasses.replace(invocation("subscribe"), text=typed)
        reply = await Commands(env).run(slash)
    assert reply.tone is Tone.ERROR
    words = reply.plain_text
    assert words.startswith(f"{option}: ")

    flag = f"--{option.replace('_', '-')}={value}"
    for argv in (("add", TARGET, flag), ("set", TARGET, flag)):
        status, line = await asyncio.to_thread(failure, capsys, *argv)
        assert status == 2
        command = f"papers-bot subscriptions {argv[0]}"
        assert line == f"{command}: {words} (see {command} --help)"
    assert await asyncio.to_thread(stored, sqlite_url) == []


async def test_a_bad_pause_reason_is_refused_in_the_words_of_pause(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with open_store(sqlite_url) as store:
        env = CommandEnv(store, Planner(store, clock=dt.datetime.now), CommandDefaults())
        slash = dataclasses.replace(invocation("pause"), text="x" * 201)
        reply = await Commands(env).run(slash)
    assert reply.plain_text == "reason: too long (201 characters; at most 200)"
    status, line = await asyncio.to_thread(failure, capsys, "pause", TARGET, "--reason", "x" * 201)
    assert (status, line) == (
        2,
        f"papers-bot subscriptions pause: {reply.plain_text} (see papers-bot subscriptions "
        "pause --help)",
    )


@pytest.mark.parametrize(
    "channel",
    [
        ChannelRef(Platform.DISCORD, "111", "222"),
        ChannelRef(Platform.SLACK, "T0TEAM0001", "C0NEWS0001"),
        ChannelRef(Platform.DISCORD, WEBHOOK_WORKSPACE, "discord-webhook:123456"),
        ChannelRef(Platform.SLACK, WEBHOOK_WORKSPACE, "slack-webhook:B0HOOK"),
        CONSOLE_CHANNEL,
    ],
    ids=lambda channel: channel.transport.value,
)
def test_a_target_reads_back_as_it_is_printed(channel: ChannelRef) -> None:
    assert parse_target(target_text(channel)).channel_ref() == channel


def test_a_webhook_is_named_by_its_url_or_its_label() -> None:
    by_url = parse_target(f"webhook:{DISCORD_HOOK}").channel_ref()
    assert by_url == ChannelRef(Platform.DISCORD, WEBHOOK_WORKSPACE, "discord-webhook:123456")
    assert parse_target("discord-webhook:123456").channel_ref() == by_url


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("fax:1", "unknown target kind 'fax'; expected discord:<guild_id>/<channel_id>, "),
        ("general", "expected discord:<guild_id>/<channel_id>, slack:<team_id>/<channel_id>"),
        ("discord:general", "a Discord channel id is a number, got 'general'"),
        ("discord:home/222", "a Discord server (guild) id is a number, got 'home'"),
        ("slack:webhook/C1", "a Slack team id looks like T0123ABC, got 'webhook'"),
        ("slack:T1/#general", "a Slack channel id looks like C0123ABC, got '#general'"),
        ("webhook:https://example.org/hook", "webhook URL is neither a Discord"),
    ],
)
def test_bad_targets_are_one_line_and_exit_2(
    target: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, line = failure(capsys, "pause", target)
    assert status == 2
    assert line.startswith(f"papers-bot subscriptions pause: argument TARGET: {words}")
    assert line.endswith("(see papers-bot subscriptions pause --help)")


def test_missing_and_existing_subscriptions_exit_1(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    for action in ("set", "pause", "resume", "remove"):
        extra = ["--top", "3"] if action == "set" else []
        status, line = failure(capsys, action, "slack:C0NEWS0001", *extra)
        assert (status, line) == (1, f"{PROG}: slack:C0NEWS0001 has no subscription")
    assert cli(capsys, "add", TARGET)[0] == 0
    status, line = failure(capsys, "add", "slack:T0OTHER001/C0NEWS0001")
    assert (status, line) == (
        1,
        f"papers-bot subscriptions: {TARGET} is already subscribed; change it with "
        "`papers-bot subscriptions set`",
    )


def test_a_bot_channel_is_named_with_its_workspace_when_it_must_be(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new subscription is stored under its workspace, as /subscribe in that channel
    would store it (else /subscription there would not find it and a second one could be
    made); an existing one may be named by its channel unless two workspaces have it."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    status, line = failure(capsys, "add", "slack:C0NEWS0001")
    assert (status, line) == (
        2,
        "papers-bot subscriptions: slack:C0NEWS0001: a new subscription needs the channel's "
        "workspace: slack:<team_id>/C0NEWS0001, so /subscription in that channel finds it",
    )
    shared = ChannelRef(Platform.SLACK, "T0OTHER001", "C0NEWS0001")

    async def in_two_workspaces() -> None:
        async with open_store(sqlite_url) as store:
            for channel in (TEAM_CHANNEL, shared):
                await store.subscriptions.save(channel, SubscriptionSettings(), actor="U1")

    asyncio.run(in_two_workspaces())
    status, line = failure(capsys, "pause", "slack:C0NEWS0001")
    assert (status, line) == (
        2,
        "papers-bot subscriptions: slack:C0NEWS0001: subscribed in several workspaces; name "
        f"one: {TARGET}, slack:T0OTHER001/C0NEWS0001",
    )
    assert cli(capsys, "pause", TARGET)[0] == 0
    assert [sub.paused for sub in stored(sqlite_url)] == [True, False]


def test_targets_this_configuration_cannot_post_to_are_refused(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As /subscribe and /resume first check that the bot can post in the channel: the
    running bot would never schedule these. The webhook's URL (a secret) is never shown."""
    monkeypatch.setenv("DISCORD_TOKEN", "token")
    status, line = failure(capsys, "add", TARGET)
    assert (status, line) == (
        2,
        f"papers-bot subscriptions: {TARGET}: this configuration cannot post there: no slack "
        "bot token is configured",
    )
    status, line = failure(capsys, "add", f"webhook:{DISCORD_HOOK}")
    assert status == 2
    assert line.startswith("papers-bot subscriptions: discord-webhook:123456: this ")
    assert "s3cr3t" not in line
    assert stored(sqlite_url) == []

    async def slack_channel_paused() -> None:
        async with open_store(sqlite_url) as store:
            await store.subscriptions.save(TEAM_CHANNEL, SubscriptionSettings(), actor="U1")
            await store.subscriptions.set_paused(TEAM_CHANNEL, True, reason="the bot cannot")

    asyncio.run(slack_channel_paused())
    assert failure(capsys, "resume", TARGET)[0] == 2
    assert failure(capsys, "set", TARGET, "--top", "3")[0] == 2
    assert cli(capsys, "remove", TARGET)[0] == 0


def test_configured_webhooks_and_the_dry_run_console(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A webhook-only set-up manages its webhooks by URL or label; a dry run's one console
    channel (made by the bot) takes settings, paused and resumed like any channel, and no
    other console channel can be added."""
    monkeypatch.setenv("DISCORD_WEBHOOK_URLS", DISCORD_HOOK)
    added = cli_json(capsys, "add", f"webhook:{DISCORD_HOOK}", "--top", "3")
    assert added["subscription"]["target"] == "discord-webhook:123456"
    assert added["subscription"]["transport"] == "webhook"
    assert "s3cr3t" not in json.dumps(added)
    changed = cli_json(capsys, "set", "discord-webhook:123456", "--time", "07:15")
    assert (changed["subscription"]["top"], changed["subscription"]["post_time"]) == (3, "07:15")

    monkeypatch.delenv("DISCORD_WEBHOOK_URLS")  # nothing configured: a dry run

    async def made_by_the_dry_run() -> None:
        async with open_store(sqlite_url) as store:
            await store.subscriptions.save(CONSOLE_CHANNEL, SubscriptionSettings(), actor="dry-run")

    asyncio.run(made_by_the_dry_run())
    tried = cli_json(capsys, "set", "console:stdout", "--top", "3", "--min-votes", "20")
    assert (tried["subscription"]["top"], tried["subscription"]["min_votes"]) == (3, 20)
    status, line = failure(capsys, "add", "console:other", "--top", "3")
    assert status == 2
    assert line.startswith("papers-bot subscriptions: console:other: a dry run has one console")
    assert cli_json(capsys, "pause", "console:stdout")["result"] == "paused"
    assert cli_json(capsys, "resume", "console:stdout")["result"] == "resumed"
    assert [s.channel.channel_id for s in stored(sqlite_url)] == [
        "discord-webhook:123456",
        "stdout",
    ]


def test_a_discord_channel_or_webhook_is_marked_a_forum_with_forum(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Chat finds out by itself (/subscribe reads the channel's type); the command line is
    told, for webhooks and for channels added without chat."""
    monkeypatch.setenv("DISCORD_WEBHOOK_URLS", DISCORD_HOOK)
    monkeypatch.setenv("DISCORD_TOKEN", "token")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    added = cli_json(capsys, "add", f"webhook:{DISCORD_HOOK}", "--forum")
    assert added["subscription"]["channel_kind"] == "forum"
    status, out, _ = cli(capsys, "list")
    assert status == 0
    assert " forum " in out
    changed = cli_json(capsys, "set", "discord-webhook:123456", "--no-forum")
    assert changed["subscription"]["channel_kind"] == "text"
    assert cli_json(capsys, "add", "discord:1/2", "--forum")["subscription"]["channel_kind"] == (
        "forum"
    )
    [hook, channel] = stored(sqlite_url)
    assert (hook.settings.channel_kind, channel.settings.channel_kind) == ("text", "forum")

    status, line = failure(capsys, "add", TARGET, "--forum")
    assert (status, line) == (
        2,
        f"{PROG} add: --forum: only a Discord channel or webhook can be a forum "
        f"(see {PROG} add --help)",
    )
    assert len(stored(sqlite_url)) == 2


def test_a_row_prints_on_one_line_whatever_it_holds(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pause reason is an error's text when delivery paused the channel; a row written by
    another version may hold a time zone this one cannot schedule."""

    async def odd_rows() -> None:
        async with open_store(sqlite_url) as store:
            await store.subscriptions.save(TEAM_CHANNEL, SubscriptionSettings(timezone="Mars/Base"))
            reason = "the bot cannot post there:\n403 \x1b[31mMissing Access"
            await store.subscriptions.set_paused(TEAM_CHANNEL, True, reason=reason)
            other = ChannelRef(Platform.SLACK, "T0TEAM0001", "C0MARS0001")
            await store.subscriptions.save(other, SubscriptionSettings(timezone="Mars/Base"))

    asyncio.run(odd_rows())
    status, out, _ = cli(capsys, "list")
    lines = out.splitlines()
    assert (status, len(lines)) == (0, 3)
    assert "\x1b" not in out
    assert lines[1].endswith("paused (the bot cannot post there: 403 [31mMissing Access)")
    [mars] = [json.loads(line) for line in cli(capsys, "list", "--json")[1].splitlines()][1:]
    assert (mars["state"], mars["next_post"]) == ("active", None)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    status, out, _ = cli(capsys, "set", "slack:C0MARS0001", "--top", "3")
    assert out.endswith("; active; next post never: unknown time zone 'Mars/Base'\n")


DAY = dt.date(2025, 3, 3)
NOW = dt.datetime(2025, 3, 4, 9, 20, tzinfo=dt.UTC)


async def test_the_running_bot_takes_up_what_the_command_line_changed(
    database_url: str,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What the subscription sync (every SUBSCRIPTION_SYNC_SECONDS) and a post time's job
    do with the table, here called at once: a subscription added here gets its job, its
    post planned with its settings and sent; pausing, moving and removing it move its job."""
    env: dict[str, Any] = {
        "slack_bot_token": fake_slack.bot_token,
        "slack_api_base": fake_slack.api_base,
    }
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.bot_token)
    target = f"slack:{fake_slack.team_id}/C0PAPERS01"
    entries = (Entry("2503.00001", "Bright Paper", 40), Entry("2503.00002", "Dim Paper", 3))

    def jobs() -> set[str]:
        return {job.id for job in bot.engine.scheduler.jobs() if job.id.startswith("post:")}

    async def run(*argv: str) -> None:
        status, _, err = await asyncio.to_thread(cli, capsys, *argv)
        assert (status, err) == (0, "")
        await bot.engine.jobs.sync()

    async with running_engine(database_url, clock=FakeClock(NOW), **env) as bot:
        await bot.store.writer.save(parse_markdown_digest(markdown_digest(DAY, entries), day=DAY))
        await run("add", target, "--time", "09:00", "--top", "1")
        assert jobs() == {job_id(("09:00", "UTC"))}
        assert await bot.engine.jobs.catch_up() == 1  # 20 minutes late: inside the grace
        assert (await bot.drained())[DeliveryState.SENT] == 1
        [row] = await bot.store.deliveries.list()
        [sub] = await bot.store.subscriptions.list()
        assert (row.subscription_id, row.item_key) == (sub.id, DAY.isoformat())
        posted = json.dumps(fake_slack.channels["C0PAPERS01"].messages)
        assert "Bright Paper" in posted
        assert "Dim Paper" not in posted  # --top 1

        await run("pause", target)
        assert jobs() == set()
        await run("resume", target)
        assert jobs() == {job_id(("09:00", "UTC"))}
        await run("set", target, "--time", "07:30", "--timezone", "Asia/Seoul")
        assert jobs() == {job_id(("07:30", "Asia/Seoul"))}
        await run("remove", target)
        assert jobs() == set()
        assert await bot.store.deliveries.list() == []


def test_every_option_has_the_help_of_the_slash_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for action, command in (("add", "subscribe"), ("set", "subscribe"), ("pause", "pause")):
        status, out, _ = cli(capsys, action, "--help")
        assert status == 0
        shown = " ".join(out.split())
        for option in COMMANDS[command].options:
            flag = f"--{option.name.replace('_', '-')} {option.value_hint}"
            assert f"{flag} {' '.join(option.description.split())}" in shown, flag
    for action in ("list", "add", "set", "pause", "resume", "remove"):
        out = cli(capsys, action, "--help")[1]
        assert "--json" in out


def test_help_stays_instant() -> None:
    """Building every parser for `papers-bot --help` loads neither the settings nor the
    store: the options of /subscribe are added when `subscriptions` is run."""
    heavy = ("bot.config", "bot.store", "bot.commands", "pydantic")
    probe = (
        "import sys, bot.cli; bot.cli.build_parser(); "
        f"print(sorted(m for m in sys.modules if m.startswith({heavy!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[]"
