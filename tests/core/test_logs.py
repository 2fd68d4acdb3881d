"""Secrets configured for the bot never reach a log line, in either log format."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import aiohttp
import discord
import pytest

from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.slack_bot import SlackBotAdapter
from bot.config import load_settings
from bot.logs import LIBRARY_LOGGERS, MASK, configure_logging


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "DISCORD_TOKEN": "MTAxNjY.discord-token-value",
        "SLACK_BOT_TOKEN": "xoxb-1111-2222-slacktoken",
        "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
        "DISCORD_WEBHOOK_URLS": "https://discord.com/api/webhooks/123/hooktoken-abcdef",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_are_masked_in_messages_and_tracebacks(
    secret_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    log_format: str,
) -> None:
    monkeypatch.setenv("LOG_FORMAT", log_format)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging(load_settings())
        log = logging.getLogger("papers-bot.test")
        log.warning("posting with %s to %s", secret_env["SLACK_BOT_TOKEN"], "C123")
        try:
            raise RuntimeError("POST https://discord.com/api/webhooks/123/hooktoken-abcdef failed")
        except RuntimeError:
            log.exception("webhook failed for token %s", secret_env["DISCORD_TOKEN"])
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])

    output = capsys.readouterr().err
    for value in secret_env.values():
        assert value not in output
    assert "hooktoken-abcdef" not in output
    assert output.count(MASK) >= 3
    assert "C123" in output
    if log_format == "json":
        records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        assert [r["level"] for r in records] == ["WARNING", "ERROR"]
        assert "RuntimeError" in records[1]["exception"]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide loggers; put them back after the test."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    libraries = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    yield
    root.handlers[:], _ = saved
    root.setLevel(saved[1])
    for name, level in libraries.items():
        logging.getLogger(name).setLevel(level)


def test_json_lines_carry_the_structured_fields_a_call_attaches(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    monkeypatch.setenv("LOG_FORMAT", "json")
    configure_logging(load_settings())
    log = logging.getLogger("bot.delivery.worker")
    log.error(
        "delivery 7 to discord:42 dead-lettered: gone",
        extra={"platform": "discord", "channel": "discord:42", "delivery_id": 7, "day": "x"},
    )
    log.warning("no fields here")

    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["message"] == "delivery 7 to discord:42 dead-lettered: gone"
    assert {k: first[k] for k in ("platform", "channel", "delivery_id", "day")} == {
        "platform": "discord",
        "channel": "discord:42",
        "delivery_id": 7,
        "day": "x",
    }
    assert "subscription_id" not in first  # unset fields are left out, not null
    assert set(second) == {"time", "level", "logger", "message"}


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_database_password_is_masked(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
    log_format: str,
) -> None:
    url = "postgresql+asyncpg://papers:s3cret%40pass@db.internal:5432/papers"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LOG_FORMAT", log_format)
    configure_logging(load_settings())
    log = logging.getLogger("bot.app")
    log.error("cannot open the store: %s", url)
    log.error("password authentication failed (password 's3cret@pass')")

    output = capsys.readouterr().err
    assert "s3cret" not in output
    assert output.count(MASK) == 2


def test_libraries_speak_from_warning_up_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging(load_settings())
    logging.getLogger("discord.gateway").info("Shard ID None has connected to Gateway")
    logging.getLogger("slack_sdk.socket_mode").info("A new session has been established")
    logging.getLogger("discord.http").warning("We are being rate limited.")
    logging.getLogger("bot.app").info("papers-bot ready")
    shown = capsys.readouterr().err
    assert "connected to Gateway" not in shown
    assert "new session" not in shown
    assert "rate limited" in shown
    assert "papers-bot ready" in shown

    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    configure_logging(load_settings())
    logging.getLogger("discord.gateway").info("Shard ID None has connected to Gateway")
    logging.getLogger("discord.gateway").debug("a gateway frame")
    shown = capsys.readouterr().err
    assert "connected to Gateway" in shown
    assert "gateway frame" not in shown


def test_the_discord_client_says_nothing_about_voice(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """discord.py warns once per process; arm its flags again so this test sees a first
    client whatever ran before."""
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    with caplog.at_level(logging.DEBUG):
        DiscordBotAdapter(token="discord-token")
    assert [r.getMessage() for r in caplog.records if "voice" in r.getMessage()] == []


async def test_the_slack_app_does_not_warn_about_its_token(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """bolt reads SLACK_BOT_TOKEN itself even when handed a client; as configured in
    production, that variable is set."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    async with aiohttp.ClientSession() as session:
        with caplog.at_level(logging.DEBUG):
            SlackBotAdapter(token="xoxb-from-the-environment", session=session)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_library_failure_is_one_line_unless_debugging(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
    log_format: str,
) -> None:
    """discord.py logs each failed shard connection with its traceback while it retries;
    the operator gets what failed and why on one line, the traceback only at DEBUG. The
    bot's own unexpected failures keep theirs."""
    monkeypatch.setenv("LOG_FORMAT", log_format)

    def log_failures() -> str:
        try:
            raise ConnectionResetError("Cannot connect to host gateway.discord.gg:443")
        except ConnectionResetError:
            logging.getLogger("discord.shard").exception(
                "Failed to connect for shard_id: %s. Retrying...", 1
            )
            logging.getLogger("bot.delivery.worker").exception("worker crashed")
        return capsys.readouterr().err

    configure_logging(load_settings())
    shown = log_failures()
    library_line = next(line for line in shown.splitlines() if "shard_id" in line)
    assert "Failed to connect for shard_id: 1. Retrying...: ConnectionResetError: Cannot" in (
        library_line
    )
    assert shown.count("Traceback") == 1  # the bot's own line
    if log_format == "json":
        records = [json.loads(line) for line in shown.splitlines()]
        assert "exception" not in records[0]
        assert "ConnectionResetError" in records[1]["exception"]

    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    configure_logging(load_settings())
    shown = log_failures()
    assert "Traceback" in shown.split("worker crashed")[0]
