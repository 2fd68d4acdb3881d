"""Fixtures for the `run` tests: the fake source server (shared with the fetcher tests)."""

from __future__ import annotations

from tests.fakes.source import fake_source  # noqa: F401  (registers the fixture here)
