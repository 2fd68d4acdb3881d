"""Fixtures every test area shares: the digest corpora, how a missing service is treated
(skipped on a developer's machine, a failure in CI), and the Hypothesis profiles.

Digest corpora: `tests/fixtures/corpus` ships with the repository (synthetic days in the
real format, see its README), so every corpus test runs in a bare clone. The full real
corpus (../shared/corpus beside the clone, or PAPERS_BOT_CORPUS) runs the same tests again
over every real day when it is present; without it that run skips, naming the path.

Hypothesis profiles: `ci` (loaded when CI is set) is derandomized, so a CI run tries the
same examples every time and a red build is reproducible; `dev` (the default elsewhere)
draws new random examples on each run; `nightly` draws many more, for a long hunt (run it
with `--timeout=0`: pytest-timeout's 120 s per test is too short). Set HYPOTHESIS_PROFILE
to pick one. None has a deadline: machines are shared, and how long an
example takes is not what these tests check. A test's own `max_examples` wins over them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import HealthCheck, settings

from tests.browser import find_chromium

# The local fake servers as fixtures for every test area: fake_source, fake_discord, fake_slack.
pytest_plugins = ["tests.fakes.source", "tests.fakes.fixtures"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "corpus" / "daily_papers_ko"
CORPUS_ENV = "PAPERS_BOT_CORPUS"
FULL_CORPUS = PROJECT_ROOT.parent / "shared" / "corpus" / "daily_papers_ko"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


PROFILE_ENV = "HYPOTHESIS_PROFILE"
_UNTIMED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", _UNTIMED, derandomize=True, database=None, max_examples=60)
settings.register_profile("dev", _UNTIMED, max_examples=60)
settings.register_profile("nightly", _UNTIMED, max_examples=2000)
settings.load_profile(os.environ.get(PROFILE_ENV) or ("ci" if in_ci() else "dev"))


def skip_or_fail(reason: str) -> NoReturn:
    """Skip locally; CI must never silently skip what it is there to check."""
    if in_ci():
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def digest_days(root: Path) -> list[Path]:
    """The digests of a corpus folder laid out as YYYY/MM/DD.md, oldest first."""
    if not root.is_dir():
        return []
    return sorted(root.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9].md"))


@dataclass(frozen=True, slots=True)
class DigestCorpus:
    """A corpus folder and the least it holds, so a test over it fails rather than passing
    on a folder that lost its files."""

    root: Path
    min_days: int
    min_papers: int

    @property
    def days(self) -> list[Path]:
        return digest_days(self.root)


FIXTURES = DigestCorpus(FIXTURE_CORPUS, min_days=6, min_papers=36)


def full_corpus() -> DigestCorpus:
    root = Path(os.environ.get(CORPUS_ENV, FULL_CORPUS))
    return DigestCorpus(root, min_days=150, min_papers=2500)


@pytest.fixture(
    scope="session", params=["fixtures", pytest.param("full", marks=pytest.mark.corpus)]
)
def corpus(request: pytest.FixtureRequest) -> DigestCorpus:
    """The shipped fixtures, then the full real corpus when it is beside the clone."""
    if request.param == "fixtures":
        return FIXTURES
    full = full_corpus()
    if not full.days:
        skip_or_fail(f"full real corpus not found at {full.root} (set {CORPUS_ENV})")
    return full


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium for the browser tests (`tests.browser`): the HTML preview and the
    status page. Skipped with the reason where it is missing, required in CI."""
    path = find_chromium()
    if path is None:
        skip_or_fail("chromium not found (apt-get install chromium fonts-noto-cjk)")
    return path


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's .env, config file or platform tokens: they run in an
    empty folder, where neither .env nor the default config file exists."""
    for name in list(os.environ):
        if name.startswith(("DISCORD_", "SLACK_", "DATABASE_URL", "PAPERS_BOT_CONFIG")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
