"""Operator settings: embedded defaults < config TOML file < `.env` < environment.

The names are the operator contract of DESIGN.md; keep them stable. Secrets are SecretStr so
that printing or logging a Settings object never shows them.

Everything is checked when the settings load, before anything starts: ids, URLs and numbers
have their shape and bounds here, a key of the TOML file that names no setting is refused
(with the setting it was probably meant to be), and so is a PAPERS_BOT_CONFIG naming no
file. Each problem is one line, `invalid configuration: NAME: what is wrong`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.errors import UsageError
from bot.post_time import parse_clock

CONFIG_FILE_ENV = "PAPERS_BOT_CONFIG"
DEFAULT_CONFIG_FILE = Path("config/papers-bot.toml")
KNOWN_SOURCES = ("hf", "markdown", "feed")

PREFIX = "invalid configuration"

CommaList = Annotated[list[str], NoDecode]
SecretList = Annotated[list[SecretStr], NoDecode]

_DISCORD_ID = re.compile(r"\d{1,20}")
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


class ConfigError(UsageError):
    """A setting is missing or malformed; the message is one line an operator can act on."""


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _is_url(value: str, schemes: tuple[str, ...]) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme in schemes and bool(parts.hostname)


def _blank_to_none(value: Any) -> Any:
    """The documented file writes an unset optional setting as ""."""
    return None if isinstance(value, str) and not value.strip() else value


def config_file() -> Path:
    """The TOML file to read: the one PAPERS_BOT_CONFIG names, which must exist (a typo in
    the name would otherwise run the bot on defaults), or the default, which may not."""
    named = os.environ.get(CONFIG_FILE_ENV, "").strip()
    if not named:
        return DEFAULT_CONFIG_FILE
    path = Path(named)
    if not path.is_file():
        state = "is not a file" if path.exists() else "does not exist"
        raise ConfigError(f"{PREFIX}: {CONFIG_FILE_ENV}: {path} {state}")
    return path


class _CheckedToml(TomlConfigSettingsSource):
    """The config file, refusing keys that name no setting: a misspelt key would otherwise
    be ignored and its default used without a word."""

    def __init__(self, settings_cls: type[BaseSettings], toml_file: Path) -> None:
        self._known = list(settings_cls.model_fields)
        super().__init__(settings_cls, toml_file=toml_file)

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        data = super()._read_file(file_path)
        unknown = [self._unknown(key) for key in data if key.lower() not in self._known]
        if unknown:
            raise ConfigError(f"{PREFIX}: config file {file_path}: {'; '.join(unknown)}")
        return data

    def _unknown(self, key: str) -> str:
        close = difflib.get_close_matches(key.lower(), self._known, n=1)
        return f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    data_dir: Path = Path("data")
    database_url: str | None = None

    discord_token: SecretStr | None = None
    discord_application_id: str | None = None
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str | None = None
    #: Gateway shards of the whole bot (every instance); unset: the count Discord recommends.
    discord_shard_count: int | None = Field(default=None, ge=1, le=10_000)
    #: How long an instance's hold on its shards lasts without renewal (renewed every third
    #: of it); an instance that dies has its shards taken over about this long after.
    gateway_lease_seconds: float = Field(default=30.0, ge=3.0, le=600.0)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_base: str = "https://slack.com/api/"
    #: Slack user ids (U...) allowed to manage subscriptions besides workspace admins/owners.
    slack_admin_users: CommaList = Field(default_factory=list)

    discord_webhook_urls: SecretList = Field(default_factory=list)
    slack_webhook_urls: SecretList = Field(default_factory=list)

    hf_api_url: str = "https://huggingface.co/api/daily_papers"
    digest_url_template: str = (
        "https://raw.githubusercontent.com/l-yohai/daily_papers_ko/main/paper_logs/"
        "{yyyy}/{mm}/{dd}.md"
    )
    feed_urls: CommaList = Field(default_factory=list)
    sources: CommaList = Field(default_factory=lambda: ["hf", "markdown"])
    poll_interval: int = Field(default=900, ge=10, le=86_400)
    #: How many recent days (today in UTC, yesterday, ...) each poll re-reads: late digests
    #: and vote counts still change after midnight UTC.
    poll_days: int = Field(default=2, ge=1, le=14)

    http_timeout: float = Field(default=20.0, gt=0, le=300)
    http_max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    http_retries: int = Field(default=3, ge=0, le=10)

    http_host: str = Field(default="0.0.0.0", min_length=1)
    http_port: int = Field(default=8080, ge=0, le=65_535)
    #: Serve GET /status, a read-only HTML page of sources, subscriptions and the outbox,
    #: on the web server (no login: keep HTTP_HOST private when it is on).
    status_page: bool = False
    default_timezone: str = "UTC"
    default_post_time: str = "09:00"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    #: A post missed while the bot was down is still made on restart within this many minutes.
    post_grace_minutes: int = Field(default=60, ge=0, le=24 * 60)
    #: The empty-day policy new subscriptions start with (each then keeps its own, changed with
    #: `/subscribe no_papers=`): on a day with nothing new or nothing matching, nothing or a note.
    no_papers_policy: Literal["skip", "note"] = "skip"
    #: Vote-threshold alerts look at papers of this many recent days (0 turns alerts off).
    alert_days: int = Field(default=2, ge=0, le=14)
    #: Live cards: for this many hours after a digest is posted, the vote counts on its cards
    #: are edited in place as the HF API reports new votes (0 turns live cards off).
    live_cards_window_hours: int = Field(default=48, ge=0, le=14 * 24)
    #: Live cards: seconds at least between two edits of one message (the post counts as
    #: the first write); newer counts wait and are sent together.
    live_cards_edit_interval: int = Field(default=300, ge=1, le=86_400)
    #: Consecutive failed attempts at one message before its delivery is dead-lettered.
    delivery_max_attempts: int = Field(default=8, ge=1, le=100)
    #: Posts sent at the same time per platform (each post is one channel's messages in order).
    delivery_concurrency: int = Field(default=32, ge=1, le=1000)
    #: How long a claimed delivery stays ours without a heartbeat (PostgreSQL multi-process).
    delivery_lease_seconds: float = Field(default=60.0, ge=1.0, le=3600.0)
    #: Proactive limits: Discord's global budget per bot, and Slack's per-workspace budget.
    discord_global_per_second: float = Field(default=50.0, gt=0, le=10_000)
    discord_channel_per_5s: int = Field(default=5, ge=1, le=1000)
    slack_channel_per_second: float = Field(default=1.0, gt=0, le=1000)
    slack_workspace_per_minute: int = Field(default=300, ge=1, le=1_000_000)
    #: Slack conversations.history calls per workspace per minute (Tier 3): the look-ups
    #: before re-sending a message whose send may have landed.
    slack_history_per_minute: int = Field(default=50, ge=1, le=1_000_000)
    #: How often subscription changes made from chat are picked up (seconds).
    subscription_sync_seconds: int = Field(default=30, ge=1, le=3600)

    @field_validator(
        "feed_urls",
        "sources",
        "discord_webhook_urls",
        "slack_webhook_urls",
        "slack_admin_users",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _split_commas(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in KNOWN_SOURCES]
        if unknown:
            raise ValueError(f"unknown source {unknown[0]!r}; known: {', '.join(KNOWN_SOURCES)}")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("default_post_time")
    @classmethod
    def _valid_post_time(cls, value: str) -> str:
        parse_clock(value)
        return value

    @field_validator("digest_url_template", "hf_api_url", "discord_api_base", "slack_api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not _is_url(value, ("http", "https")):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value

    @field_validator("feed_urls")
    @classmethod
    def _http_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not _is_url(url, ("http", "https")):
                raise ValueError(f"{url!r} is not an http(s) URL")
        return value

    @field_validator("discord_webhook_urls", "slack_webhook_urls")
    @classmethod
    def _webhook_urls(cls, value: list[SecretStr]) -> list[SecretStr]:
        for number, url in enumerate(value, start=1):
            if not _is_url(url.get_secret_value(), ("http", "https")):
                # The URL holds the webhook's token: say which one, never what it is.
                raise ValueError(f"URL number {number} is not an http(s) URL")
        return value

    @field_validator(
        "database_url",
        "discord_application_id",
        "discord_gateway_url",
        "discord_shard_count",
        "discord_token",
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        mode="before",
    )
    @classmethod
    def _optional(cls, value: Any) -> Any:
        """A blank value (`DISCORD_TOKEN=` left in a copied .env, or an empty variable a
        compose file passes on) means unset: no one means an empty token, and taking it
        as one would turn a dry run into a login that fails."""
        return _blank_to_none(value)

    @field_validator("discord_application_id")
    @classmethod
    def _discord_id(cls, value: str | None) -> str | None:
        if value is not None and not _DISCORD_ID.fullmatch(value.strip()):
            raise ValueError(f"expected a Discord application id (digits), got {value!r}")
        return None if value is None else value.strip()

    @field_validator("discord_gateway_url")
    @classmethod
    def _websocket_url(cls, value: str | None) -> str | None:
        if value is not None and not _is_url(value, ("ws", "wss")):
            raise ValueError(f"expected a ws(s):// URL, got {value!r}")
        return value

    @field_validator("slack_admin_users")
    @classmethod
    def _slack_users(cls, value: list[str]) -> list[str]:
        for user in value:
            if not _SLACK_USER_ID.fullmatch(user):
                raise ValueError(f"{user!r} is not a Slack user id such as U0123ABCD")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = _CheckedToml(settings_cls, config_file())
        return (init_settings, env_settings, dotenv_settings, toml)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'papers-bot.db'}"

    @property
    def has_discord_bot(self) -> bool:
        return self.discord_token is not None

    @property
    def has_slack_bot(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def is_dry_run(self) -> bool:
        """No platform configured at all: everything goes to the console."""
        return not (
            self.has_discord_bot
            or self.has_slack_bot
            or self.discord_webhook_urls
            or self.slack_webhook_urls
        )


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's multi-line report into one line per bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except (OSError, ValueError) as exc:  # an unreadable or malformed TOML file
        raise ConfigError(f"{PREFIX}: config file {config_file()}: {exc}") from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]).upper() or "config"
        message = error["msg"].removeprefix("Value error, ")
        given = error.get("input")
        shown = "" if isinstance(given, Mapping) or given is None else f" (got {given!r})"
        if repr(given) in message:
            shown = ""
        if "secret" in name.lower() or "token" in name.lower() or "webhook" in name.lower():
            shown = ""
        problems.append(f"{name}: {message}{shown}")
    return f"{PREFIX}: " + "; ".join(problems)
