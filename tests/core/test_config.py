"""Settings precedence, parsing and one-line errors (the operator contract of DESIGN.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.post_time import parse_clock

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_embedded_defaults_are_a_console_dry_run_on_sqlite() -> None:
    settings = load_settings()
    assert settings.is_dry_run
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.sources == ["hf", "markdown"]
    assert settings.poll_interval == 900


def test_precedence_is_file_then_dotenv_then_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('poll_interval = 60\nhttp_port = 9000\nlog_level = "debug"\n')
    (tmp_path / ".env").write_text("HTTP_PORT=9100\nDEFAULT_POST_TIME=07:15\n")
    monkeypatch.setenv("PAPERS_BOT_CONFIG", str(config))
    monkeypatch.setenv("DEFAULT_POST_TIME", "06:45")

    settings = load_settings()

    assert settings.poll_interval == 60  # file only
    assert settings.http_port == 9100  # .env beats the file
    assert settings.default_post_time == "06:45"  # environment beats .env
    assert settings.log_level == "DEBUG"


def test_comma_separated_lists_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_URLS", "https://a.example/rss, https://b.example/atom ,")
    monkeypatch.setenv("SOURCES", "feed,hf")
    monkeypatch.setenv("SLACK_WEBHOOK_URLS", "https://hooks.example/T/B/secretsecret")

    settings = load_settings()

    assert settings.feed_urls == ["https://a.example/rss", "https://b.example/atom"]
    assert settings.sources == ["feed", "hf"]
    assert not settings.is_dry_run
    assert "secretsecret" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("POLL_INTERVAL", "abc", "POLL_INTERVAL"),
        ("POLL_INTERVAL", "1", "POLL_INTERVAL"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "unknown IANA time zone"),
        ("DEFAULT_POST_TIME", "25:00", "out of range"),
        ("DEFAULT_POST_TIME", "9am", "HH:MM"),
        ("SOURCES", "hf,twitter", "unknown source 'twitter'"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
        ("HF_API_URL", "ftp://x", "http(s) URL"),
    ],
)
def test_bad_values_give_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "\n" not in message
    assert expected in message


def test_a_secret_is_never_echoed_in_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLL_INTERVAL", "x")
    monkeypatch.setenv("DISCORD_TOKEN", "tok-abcdef123456")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    with pytest.raises(ConfigError) as info:
        load_settings(slack_signing_secret=12345678)
    assert "POLL_INTERVAL" in str(info.value)
    assert "SLACK_SIGNING_SECRET" in str(info.value)
    assert "12345678" not in str(info.value)
    assert "tok-abcdef123456" not in str(info.value)


def test_malformed_toml_file_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("poll_interval = = 3\n")
    monkeypatch.setenv("PAPERS_BOT_CONFIG", str(config))
    with pytest.raises(ConfigError, match="config file"):
        load_settings()


@pytest.mark.parametrize("shipped", ["papers-bot.toml", "example.toml"])
def test_shipped_config_files_load(monkeypatch: pytest.MonkeyPatch, shipped: str) -> None:
    monkeypatch.setenv("PAPERS_BOT_CONFIG", str(PROJECT_ROOT / "config" / shipped))
    settings = load_settings()
    assert isinstance(settings, Settings)


def test_shipped_default_config_repeats_the_embedded_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The documented file must not drift from the code: uncommented, it equals the defaults."""
    text = (PROJECT_ROOT / "config" / "papers-bot.toml").read_text()
    lines = [line[2:] for line in text.splitlines() if line.startswith("# ") and " = " in line[:40]]
    uncommented = Path("uncommented.toml")
    uncommented.write_text("\n".join(line.split("  #")[0] for line in lines) + "\n")
    monkeypatch.setenv("PAPERS_BOT_CONFIG", str(uncommented.resolve()))
    from_file = load_settings()
    monkeypatch.setenv("PAPERS_BOT_CONFIG", "absent.toml")
    defaults = load_settings()
    for key in ("poll_interval", "sources", "hf_api_url", "digest_url_template", "http_port"):
        assert getattr(from_file, key) == getattr(defaults, key), key


@pytest.mark.parametrize(
    ("text", "expected"),
    [("00:00", dt.time(0, 0)), ("9:05", dt.time(9, 5)), (" 23:59 ", dt.time(23, 59))],
)
def test_parse_clock(text: str, expected: dt.time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "12", "12:5", "ab:cd", "", "-1:00"])
def test_parse_post_time_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="time"):
        parse_clock(text)
