"""Logging set-up: text or JSON lines, with every configured secret masked.

Tokens and webhook URLs end up in exception texts and URLs that libraries log; masking
at the handler catches them wherever they come from.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable

from pydantic import SecretStr

from bot.config import Settings

MASK = "***"
_MIN_SECRET_LENGTH = 6


class RedactingFormatter(logging.Formatter):
    """Formats a record, then replaces each known secret with a mask."""

    def __init__(self, secrets: Iterable[str], *, as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._secrets = sorted(
            {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
        )
        self._as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        if self._as_json:
            payload = {
                "time": self.formatTime(record),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            if record.exc_info:
                payload["exception"] = self.formatException(record.exc_info)
            text = json.dumps(payload, ensure_ascii=False)
        else:
            text = super().format(record)
        return self.redact(text)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


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
    return secrets


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter(secret_values(settings), as_json=settings.log_format == "json")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
