"""`post --date D` and `preview --date D` read the archive through the one composer: with
every source unreachable, a day that was imported posts (here, a dry run) exactly the
bodies `preview` shows for the same options, and a day the archive lacks is fetched from
the sources only then, failing in one line when they are down."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path

import pytest

from tests.adapters.cli_runner import run_cli
from tests.app.content import Entry, markdown_digest
from tests.fakes.source import FakeSource

DAY = "2025-02-03"
ENTRIES = (
    Entry("2502.00001", "Sparse Routers at Scale", 41),
    Entry("2502.00002", "Quiet Benchmarks for Loud Models", 7),
    Entry("2502.00003", "Agents That Read Papers", 23),
    Entry("2502.00004", "A Study of Small Tokenizers", 3),
)


def closed_port() -> int:
    """A loopback port nothing listens on: every fetch there is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def archive(tmp_path: Path) -> dict[str, str]:
    """DATA_DIR with DAY imported, and every source pointing at a closed port."""
    folder = tmp_path / "digests" / "2025" / "02"
    folder.mkdir(parents=True)
    (folder / "03.md").write_text(markdown_digest(dt.date(2025, 2, 3), ENTRIES), encoding="utf-8")
    env = {"DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "WARNING"}
    imported = await run_cli("import", str(tmp_path / "digests"), env=env)
    assert imported.code == 0, imported.stderr
    down = f"http://127.0.0.1:{closed_port()}"
    return {
        **env,
        "HF_API_URL": f"{down}/api/daily_papers",
        "DIGEST_URL_TEMPLATE": f"{down}/{{yyyy}}/{{mm}}/{{dd}}.md",
        "HTTP_RETRIES": "0",
        "HTTP_TIMEOUT": "5",
    }


@pytest.mark.parametrize(
    "options",
    [[], ["--top", "2", "--min-votes", "5"], ["--keyword", "agents", "--layout", "thread"]],
)
async def test_post_dry_run_of_an_archived_day_equals_preview(
    archive: dict[str, str], options: list[str]
) -> None:
    posted = await run_cli("post", "--date", DAY, "--dry-run", *options, env=archive)
    assert posted.code == 0, posted.stderr
    lines = [json.loads(line) for line in posted.stdout.splitlines()]
    for platform in ("discord", "slack"):
        shown = await run_cli(
            "preview", "--date", DAY, "--platform", platform, "--json", *options, env=archive
        )
        assert shown.code == 0, shown.stderr
        [bodies] = [json.loads(line) for line in shown.stdout.splitlines()]
        sent = [line["body"] for line in lines if line["platform"] == platform]
        assert sent == bodies
        assert bodies, "the archived day rendered nothing"


async def test_both_default_to_a_new_subscriptions_top_ten(archive: dict[str, str]) -> None:
    shown = await run_cli("preview", "--date", DAY, "--platform", "discord", "--json", env=archive)
    [bodies] = [json.loads(line) for line in shown.stdout.splitlines()]
    titles = [embed["title"] for body in bodies for embed in body["embeds"]][1:]
    assert titles == [  # every paper, by votes
        "Sparse Routers at Scale",
        "Agents That Read Papers",
        "Quiet Benchmarks for Loud Models",
        "A Study of Small Tokenizers",
    ]


async def test_a_day_missing_from_the_archive_is_fetched_and_fails_in_one_line(
    archive: dict[str, str],
) -> None:
    result = await run_cli("post", "--date", "2025-02-04", "--dry-run", env=archive)
    assert result.code == 1
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]  # source warnings are logged before it
    assert line.startswith("papers-bot post: no digest of 2025-02-04 in the archive")
    assert "hf " in line
    assert "markdown " in line


async def test_a_day_missing_from_the_archive_is_fetched_from_the_sources(
    archive: dict[str, str], fake_source: FakeSource
) -> None:
    env = {
        **archive,
        "HF_API_URL": fake_source.hf_url,
        "DIGEST_URL_TEMPLATE": fake_source.digest_template,
        "SOURCES": "markdown",
    }
    day = dt.date(2025, 2, 5)
    fake_source.add_digest(day, markdown_digest(day, ENTRIES[:2]))
    result = await run_cli("post", "--date", day.isoformat(), "--dry-run", env=env)
    assert result.code == 0, result.stderr
    assert "Sparse Routers at Scale" in result.stdout
    again = await run_cli(
        "preview", "--date", day.isoformat(), "--platform", "slack", "--json", env=archive
    )
    assert again.code == 0, again.stderr  # saved: the archive has it now, sources down
