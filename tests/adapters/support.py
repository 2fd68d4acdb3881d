"""Helpers for adapter tests: small hand-written bodies (the e2e tests use the real
renderers) and settings built the way an operator gives them."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Settings, load_settings
from bot.models import Platform
from bot.render.message import MessageRole, RenderedMessage


def discord_message(content: str = "hello", **extra: Any) -> RenderedMessage:
    body: dict[str, Any] = {"content": content, "allowed_mentions": {"parse": []}, **extra}
    return RenderedMessage(Platform.DISCORD, MessageRole.NOTE, body)


def slack_message(text: str = "hello", *, in_thread: bool = False, **extra: Any) -> RenderedMessage:
    body: dict[str, Any] = {"text": text, **extra}
    return RenderedMessage(Platform.SLACK, MessageRole.NOTE, body, in_thread=in_thread)


def settings_for(monkeypatch: pytest.MonkeyPatch, *env: dict[str, str]) -> Settings:
    """Settings exactly as an operator would give them: environment variables only."""
    for mapping in env:
        for name, value in mapping.items():
            monkeypatch.setenv(name, value)
    return load_settings()
