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
    with pytest.raises(ConfigError, match=f"^invalid configuration: config file {config}: "):
        load_settings()


def test_unknown_keys_in_the_file_are_named_with_the_likely_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "typo.toml"
    config.write_text('pol_interval = 60\nsources = "hf"\nflavour = "mint"\n')
    monkeypatch.setenv("PAPERS_BOT_CONFIG", str(config))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == (
        f"invalid configuration: config file {config}: unknown key 'pol_interval' "
        "(did you mean 'poll_interval'?); unknown key 'flavour'"
    )


def test_a_config_file_named_by_the_environment_must_exist(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PAPERS_BOT_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == (
        f"invalid configuration: PAPERS_BOT_CONFIG: {tmp_path / 'absent.toml'} does not exist"
    )
    monkeypatch.setenv("PAPERS_BOT_CONFIG", str(tmp_path))
    with pytest.raises(ConfigError, match=r"PAPERS_BOT_CONFIG: .* is not a file$"):
        load_settings()


def test_the_default_config_file_may_be_absent(tmp_path: Path) -> None:
    assert not (tmp_path / "config" / "papers-bot.toml").exists()  # the tests run in tmp_path
    assert load_settings().poll_interval == 900


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DISCORD_APPLICATION_ID", "abc", "expected a Discord application id (digits)"),
        ("DISCORD_APPLICATION_ID", "1" * 21, "expected a Discord application id (digits)"),
        ("DISCORD_GATEWAY_URL", "https://gateway.example", "expected a ws(s):// URL"),
        ("DISCORD_API_BASE", "https://", "expected an http(s) URL"),
        ("SLACK_API_BASE", "slack.com/api", "expected an http(s) URL"),
        ("DIGEST_URL_TEMPLATE", "raw.example/{yyyy}.md", "expected an http(s) URL"),
        ("FEED_URLS", "https://a.example/rss,feed.xml", "'feed.xml' is not an http(s) URL"),
        ("SLACK_ADMIN_USERS", "U0ADMIN,bob", "'bob' is not a Slack user id"),
        ("HTTP_PORT", "65536", "HTTP_PORT: Input should be less than or equal to 65535"),
        ("HTTP_PORT", "eighty", "HTTP_PORT: Input should be a valid integer"),
        ("HTTP_TIMEOUT", "0", "HTTP_TIMEOUT: Input should be greater than 0"),
        ("HTTP_RETRIES", "-1", "HTTP_RETRIES"),
        ("POLL_DAYS", "15", "POLL_DAYS"),
        ("DELIVERY_CONCURRENCY", "0", "DELIVERY_CONCURRENCY"),
        ("DELIVERY_LEASE_SECONDS", "nan", "DELIVERY_LEASE_SECONDS"),
        ("SLACK_WORKSPACE_PER_MINUTE", "many", "SLACK_WORKSPACE_PER_MINUTE"),
    ],
)
def test_ids_urls_and_numbers_are_checked_at_start_up(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"invalid configuration: {name}: ")
    assert "\n" not in message
    assert expected in message


def test_a_bad_webhook_url_is_named_by_position_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = "https://discord.example/api/webhooks/1/tok-good"
    monkeypatch.setenv("DISCORD_WEBHOOK_URLS", f"{good},hooks.example/tok-secret")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == (
        "invalid configuration: DISCORD_WEBHOOK_URLS: URL number 2 is not an http(s) URL"
    )


def test_blank_optional_settings_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_APPLICATION_ID", " ")
    monkeypatch.setenv("DISCORD_GATEWAY_URL", "")
    monkeypatch.setenv("DATABASE_URL", "")
    for secret in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.setenv(secret, "  ")
    settings = load_settings()
    assert settings.discord_application_id is None
    assert settings.discord_gateway_url is None
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.slack_signing_secret is None
    assert settings.slack_app_token is None
    assert not settings.has_discord_bot
    assert not settings.has_slack_bot
    assert settings.is_dry_run  # a copied .env with its tokens left empty


@pytest.mark.parametrize("shipped", ["papers-bot.toml", "example.toml"])
def test_shipped_config_files_load(monkeypatch: pytest.MonkeyPatch, shipped: str) -> None:
    monkeypatch.setenv("PAPERS_BOT_CONFIG", str(PROJECT_ROOT / "config" / shipped))
    settings = load_settings()
    assert isinstance(settings, Settings)


def test_shipped_default_config_documents_every_setting_at_its_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The documented file must not drift from the code: it names every setting but the
    secrets, and uncommented it equals the defaults."""
    text = (PROJECT_ROOT / "config" / "papers-bot.toml").read_text()
    lines = [line[2:] for line in text.splitlines() if line.startswith("# ") and " = " in line[:40]]
    documented = [line.split(" = ")[0] for line in lines]
    secrets = [name for name, field in Settings.model_fields.items() if "Secret" in str(field)]
    assert sorted(documented) == sorted(set(Settings.model_fields) - set(secrets))
    uncommented = tmp_path / "uncommented.toml"
    uncommented.write_text("\n".join(line.split("  #")[0] for line in lines) + "\n")
    monkeypatch.setenv("PAPERS_BOT_CONFIG", str(uncommented))
    from_file = load_settings()
    monkeypatch.delenv("PAPERS_BOT_CONFIG")
    defaults = load_settings()
    for name in documented:
        assert getattr(from_file, name) == getattr(defaults, name), name


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
