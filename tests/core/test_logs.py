"""Secrets configured for the bot never reach a log line, in either log format."""

from __future__ import annotations

import json
import logging

import pytest

from bot.config import load_settings
from bot.logs import MASK, configure_logging


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
