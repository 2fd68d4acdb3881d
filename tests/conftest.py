"""Fixtures every test area shares: where the real corpus is, and how a missing service is
treated (skipped on a developer's machine, a failure in CI)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

# The local fake servers as fixtures for every test area: fake_source, fake_discord, fake_slack.
pytest_plugins = ["tests.fakes.source", "tests.fakes.fixtures"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS_ENV = "PAPERS_BOT_CORPUS"
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpus" / "daily_papers_ko"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> NoReturn:
    """Skip locally; CI must never silently skip what it is there to check."""
    if in_ci():
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def corpus_path() -> Path:
    return Path(os.environ.get(CORPUS_ENV, DEFAULT_CORPUS))


def corpus_files() -> list[Path]:
    root = corpus_path()
    if not root.is_dir():
        return []
    return sorted(root.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9].md"))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    root = corpus_path()
    if not corpus_files():
        skip_or_fail(f"real digest corpus not found at {root} (set {CORPUS_ENV})")
    return root


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's .env, config file or platform tokens: they run in an
    empty folder, where neither .env nor the default config file exists."""
    for name in list(os.environ):
        if name.startswith(("DISCORD_", "SLACK_", "DATABASE_URL", "PAPERS_BOT_CONFIG")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
