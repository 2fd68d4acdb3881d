"""Fixtures for `papers-bot run` answering slash commands: the platform fakes (Slack with
the users.info / conversations.info / chat.postEphemeral methods the commands need), the
fake source the bot polls, and an archive filled beforehand with `papers-bot import`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters.cli_runner import run_cli
from tests.app.content import markdown_digest
from tests.app.process import BotProcess
from tests.app.test_run import bots, http
from tests.commands.conftest import fake_slack
from tests.fakes.source import FakeSource
from tests.run_commands.support import ARCHIVE_DAY, Launcher

__all__ = ["bots", "fake_slack", "http"]


@pytest.fixture
def launcher(archive: Path, fake_source: FakeSource, bots: list[BotProcess]) -> Launcher:
    return Launcher(archive, fake_source, bots)


@pytest.fixture
async def archive(tmp_path: Path) -> Path:
    """DATA_DIR holding a store with one synthetic day, imported the way an operator would."""
    day = ARCHIVE_DAY
    folder = tmp_path / "digests"
    digest = folder / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}.md"
    digest.parent.mkdir(parents=True)
    digest.write_text(markdown_digest(day), encoding="utf-8")
    data_dir = tmp_path / "data"
    result = await run_cli("import", str(folder), env={"DATA_DIR": str(data_dir)})
    assert result.code == 0, result.stderr
    assert "3 new" in result.stdout, result.stdout
    return data_dir
