"""Logging set-up: text or JSON lines, with every configured secret masked.

Tokens, webhook URLs and the database password end up in exception texts and URLs that
libraries log; masking at the handler catches them wherever they come from. In JSON, the
fields a log call attaches with `extra=` (`FIELDS`: which platform, channel, delivery,
subscription, source or day a line is about) are written as their own keys, so a log
search can select them without parsing the message. Libraries speak only from WARNING up
at the default level: their INFO lines (logins, gateway sessions, migrations) say nothing
the bot's own start-up lines do not.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import urllib.parse
from collections.abc import Iterable

from pydantic import SecretStr

from bot.config import Settings

MASK = "***"
_MIN_SECRET_LENGTH = 6

FIELDS = ("platform", "channel", "delivery_id", "subscription_id", "source", "day", "command")
"""The structured fields a JSON line carries when its log call set them with `extra=`."""

LIBRARY_LOGGERS = (
    "discord",
    "slack_bolt",
    "slack_sdk",
    "apscheduler",
    "alembic",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "aiohttp",
)
"""Third-party loggers held one step above the bot's level: WARNING at INFO, INFO at DEBUG
(their DEBUG output, every gateway frame and SQL statement, would drown the bot's own)."""

_URL_PASSWORD = re.compile(r"^[\w+.-]+://[^:/@]*:(?P<password>[^@]*)@")
"""The password of a database URL as SQLAlchemy reads one: `scheme://user:password@...`."""


class SecretMask:
    """Replaces each known secret in a text with a mask: the log handler's last step, and
    the status page's for texts from the database and the platforms."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first: a webhook URL is masked whole before its token alone is.
        self._secrets = sorted(
            {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


def is_library(record: logging.LogRecord) -> bool:
    return any(record.name == n or record.name.startswith(f"{n}.") for n in LIBRARY_LOGGERS)


def one_line_failure(record: logging.LogRecord) -> logging.LogRecord:
    """A library's record with its traceback folded into the message's last words.

    Libraries log the failures they retry themselves with a traceback (discord.py:
    "Failed to connect for shard_id ..." at every attempt while Discord is down); the
    operator needs what failed and why, in one line, and the bot's own lines already say
    what it does about it. The traceback stays available at DEBUG.
    """
    if not record.exc_info or record.exc_info[1] is None:
        return record
    exc = record.exc_info[1]
    folded = logging.makeLogRecord(record.__dict__)
    folded.msg = f"{record.getMessage()}: {type(exc).__name__}: {exc}".rstrip(": ")
    folded.args = None
    folded.exc_info = None
    folded.exc_text = None
    return folded


class RedactingFormatter(logging.Formatter):
    """Formats a record, then replaces each known secret with a mask. A library's
    traceback is folded into one line unless `library_tracebacks` (DEBUG) asks for it."""

    def __init__(
        self, secrets: Iterable[str], *, as_json: bool, library_tracebacks: bool = False
    ) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = SecretMask(secrets)
        self._as_json = as_json
        self._library_tracebacks = library_tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if not self._library_tracebacks and is_library(record):
            record = one_line_failure(record)
        if self._as_json:
            payload: dict[str, object] = {
                "time": self.formatTime(record),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            for name in FIELDS:
                value = getattr(record, name, None)
                if value is not None:
                    payload[name] = value
            if record.exc_info:
                payload["exception"] = self.formatException(record.exc_info)
            text = json.dumps(payload, ensure_ascii=False, default=str)
        else:
            text = super().format(record)
        return self.redact(text)


def database_secrets(url: str | None) -> list[str]:
    """What DATABASE_URL holds that a log must not show: when it has a password, the whole
    URL (which covers a password too short to mask on its own) and the password as written
    and, when percent-encoded, as decoded (a driver's error may quote either)."""
    found = _URL_PASSWORD.match(url or "")
    if url is None or found is None or not found["password"]:
        return []
    written = found["password"]
    return list(dict.fromkeys([url, written, urllib.parse.unquote(written)]))


def secret_values(settings: Settings) -> list[str]:
    values: list[SecretStr] = [
        s
        for s in (
            settings.discord_token,
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
        )
        if s is not None
    ]
    values += settings.discord_webhook_urls + settings.slack_webhook_urls
    secrets = [v.get_secret_value() for v in values]
    # A webhook URL's secret part is its last path segment; mask it on its own too.
    secrets += [url.rstrip("/").rsplit("/", 1)[-1] for url in secrets if "://" in url]
    return secrets + database_secrets(settings.database_url)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    handler.setFormatter(
        RedactingFormatter(
            secret_values(settings),
            as_json=settings.log_format == "json",
            library_tracebacks=root.level <= logging.DEBUG,
        )
    )
    root.handlers[:] = [handler]
    library_level = logging.INFO if root.level <= logging.DEBUG else logging.WARNING
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(max(library_level, root.level))
