"""`papers-bot run` as a real process against the fake source: what a dry run shows, health,
metrics, conditional polling, a misbehaving source, and a clean stop on SIGTERM."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from bot.render.discord import VOTE_MARK
from tests.app.content import (
    HF_PAPERS,
    MARKDOWN_PAPERS,
    hf_items,
    markdown_digest,
)
from tests.app.process import BotProcess
from tests.fakes.source import FakeSource

POLL_INTERVAL = 10  # the smallest the settings allow


def bot_env(fake: FakeSource, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "DATA_DIR": str(data_dir),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": "0",
        "POLL_INTERVAL": str(POLL_INTERVAL),
        "HTTP_RETRIES": "0",
        "HTTP_TIMEOUT": "5",
        "SOURCES": "hf,markdown",
        "DIGEST_URL_TEMPLATE": fake.digest_template,
        "HF_API_URL": fake.hf_url,
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "text",
        **extra,
    }


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
        yield client


@pytest_asyncio.fixture
async def bots() -> AsyncIterator[list[BotProcess]]:
    """Every bot a test starts is killed at the end, whatever happened."""
    started: list[BotProcess] = []
    yield started
    for bot in started:
        await bot.kill()


async def get_json(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with http.get(url) as resp:
        return resp.status, await resp.json()


Series = tuple[str, frozenset[tuple[str, str]]]


def series(name: str, **labels: str) -> Series:
    return name, frozenset(labels.items())


async def get_metrics(http: aiohttp.ClientSession, url: str) -> dict[Series, float]:
    """/metrics parsed, so assertions hold whatever the label order or number format."""
    async with http.get(url) as resp:
        assert resp.status == 200
        text = await resp.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def assert_closed_cleanly(data_dir: Path) -> None:
    database = data_dir / "papers-bot.db"
    # A clean close checkpoints SQLite's write-ahead log and removes it.
    assert not (data_dir / "papers-bot.db-wal").exists()
    with contextlib.closing(sqlite3.connect(database)) as conn:
        sources = {row[0] for row in conn.execute("SELECT source FROM digests")}
        channels = [row[0] for row in conn.execute("SELECT channel_id FROM subscriptions")]
        posts = conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    assert sources == {"markdown", "hf"}
    assert channels == ["stdout"]  # the console: one channel, not one per source
    assert posts == 0  # showing at start is not a post: its post is made at the post time


def assert_shown_once(shown: str) -> None:
    """The day's one digest, merged over both sources and readable: each paper's title
    once, with its votes; no JSON."""
    for entry in MARKDOWN_PAPERS + HF_PAPERS:
        assert shown.count(entry.title) == 1, shown
        card = shown[shown.index(entry.title) :]
        assert f"{VOTE_MARK} {entry.votes}" in card, card
    assert "{" not in shown, shown


async def test_run_posts_new_digests_serves_health_and_polls_conditionally(
    fake_source: FakeSource,
    tmp_path: Path,
    http: aiohttp.ClientSession,
    bots: list[BotProcess],
) -> None:
    today = utc_today()
    fake_source.add_digest(today, markdown_digest(today))
    fake_source.add_hf_day(today, hf_items(today))
    data_dir = tmp_path / "data"
    env = bot_env(fake_source, data_dir)

    bot = await BotProcess.start(env, tmp_path)
    bots.append(bot)
    port = await bot.wait_for_port()
    base = f"http://127.0.0.1:{port}"

    titles = {e.title for e in MARKDOWN_PAPERS + HF_PAPERS}
    assert_shown_once(await bot.wait_for_shown(titles))
    first_md = await bot.wait_for_log(r"poll markdown: .*fetched 3 papers \(3 new\)")
    first_hf = await bot.wait_for_log(r"poll hf: .*fetched 2 papers \(2 new\)")
    # Shown once both sources were polled, then when the console's daily post is due.
    await bot.wait_for_log(r"next console post \S+ 09:00 UTC", after=max(first_md, first_hf))

    status, health = await get_json(http, base + "/healthz")
    assert status == 200, health
    assert health["checks"]["store"]["ok"] is True
    assert health["checks"]["scheduler"]["ok"] is True
    jobs = {j["id"] for j in health["checks"]["scheduler"]["jobs"]}
    assert jobs == {"poll:hf", "poll:markdown", "subscriptions:sync"}
    assert health["checks"]["scheduler"]["post_jobs"] == 1  # the console's daily post
    assert health["checks"]["adapters"] == {
        "ok": True,
        "status": "ok",
        "console": {"ok": True, "error": None},
    }
    assert health["status"] == "ok"
    assert health["checks"]["delivery"]["ok"] is True
    assert health["checks"]["sources"]["markdown"]["last_success"] is not None
    metrics = await get_metrics(http, base + "/metrics")
    assert metrics[series("papers_bot_polls_total", source="markdown", status="fetched")] == 1
    assert metrics[series("papers_bot_polls_total", source="hf", status="fetched")] >= 1
    assert metrics[series("papers_bot_papers_inserted_total", source="markdown")] == 3

    # The next poll of an unchanged digest is a conditional GET answered 304, nothing else.
    await bot.wait_for_log(r"poll markdown: .*\d not modified", after=first_md + 1)
    today_path = fake_source.digest_url(today).removeprefix(fake_source.base_url)
    requests = fake_source.requests_to(today_path)
    assert len(requests) >= 2
    assert "If-None-Match" not in requests[0].headers
    assert requests[-1].headers.get("If-None-Match")
    metrics = await get_metrics(http, base + "/metrics")
    assert series("papers_bot_polls_total", source="markdown", status="not_modified") in metrics
    printed = len(bot.stdout)

    assert await bot.stop() == 0
    assert len(bot.stdout) == printed  # nothing re-posted
    assert any("stopped" in line for line in bot.stderr[-3:]), bot.log
    assert not any("Traceback" in line for line in bot.stderr), bot.log
    assert_closed_cleanly(data_dir)

    # A restart remembers the validators: its very first poll is already a 304. Nothing
    # is new, and the newest digest is shown again all the same.
    await restart_shows_it_again(env, tmp_path, bots, titles)


async def restart_shows_it_again(
    env: dict[str, str], tmp_path: Path, bots: list[BotProcess], titles: set[str]
) -> None:
    again = await BotProcess.start(env, tmp_path)
    bots.append(again)
    await again.wait_for_log(r"poll markdown: .*\d not modified")
    await again.wait_for_log(r"poll hf: .*fetched 2 papers \(0 new\)")
    assert_shown_once(await again.wait_for_shown(titles))
    await again.wait_for_log(r"next console post")
    assert await again.stop() == 0
    assert_closed_cleanly(Path(env["DATA_DIR"]))


async def test_run_json_prints_one_json_line_per_message(
    fake_source: FakeSource, tmp_path: Path, bots: list[BotProcess]
) -> None:
    today = utc_today()
    fake_source.add_digest(today, markdown_digest(today))
    fake_source.add_hf_day(today, hf_items(today))
    bot = await BotProcess.start(bot_env(fake_source, tmp_path / "data"), tmp_path, "--json")
    bots.append(bot)

    titles = {e.title for e in MARKDOWN_PAPERS + HF_PAPERS}
    posts = await bot.wait_for_posts(titles)
    await bot.wait_for_log(r"next console post")
    assert await bot.stop() == 0
    lines = [json.loads(line) for line in bot.stdout]  # every line is JSON
    assert lines == posts
    assert {p["target"] for p in posts} == {"stdout"}
    assert posts[0]["role"] == "header"
    embeds = [e["title"] for p in posts for e in p["body"]["embeds"]]
    assert sorted(t for t in embeds if t in titles) == sorted(titles)  # each paper once


async def test_a_failing_source_degrades_health_and_the_bot_recovers(
    fake_source: FakeSource,
    tmp_path: Path,
    http: aiohttp.ClientSession,
    bots: list[BotProcess],
) -> None:
    today = utc_today()
    fake_source.fail_next(1_000_000, 500, path_prefix="/api/")
    fake_source.add_digest(today, "<html>an error page, not a digest</html>\n")
    bot = await BotProcess.start(bot_env(fake_source, tmp_path / "data"), tmp_path)
    bots.append(bot)
    port = await bot.wait_for_port()
    base = f"http://127.0.0.1:{port}"

    await bot.wait_for_log(r"poll hf: .*failed: fetch error: .*HTTP 500")
    bad_md = await bot.wait_for_log(
        r"poll markdown: .*failed: parse error: .*not a markdown digest"
    )
    told = await bot.wait_for_log(r"could not read any source")
    assert re.search(
        r"could not read any source \(hf: HTTP 500; markdown: parse error\) and the archive "
        rf"is empty: trying again every {POLL_INTERVAL}s",
        bot.stderr[told],
    ), bot.stderr[told]

    # Still ready (it serves and posts what it has): the sources show as degraded.
    status, health = await get_json(http, base + "/healthz")
    assert status == 200, health
    assert (health["ready"], health["status"]) == (True, "degraded")
    assert health["checks"]["store"]["ok"] is True
    sources = health["checks"]["sources"]
    assert (sources["ok"], sources["status"]) == (False, "degraded")
    assert "HTTP 500" in sources["hf"]["last_error"]
    assert sources["markdown"]["consecutive_failures"] >= 1
    metrics = await get_metrics(http, base + "/metrics")
    assert series("papers_bot_poll_errors_total", source="hf", kind="fetch") in metrics
    assert series("papers_bot_poll_errors_total", source="markdown", kind="parse") in metrics
    # The next round fails the same way and says nothing more about it.
    await bot.wait_for_log(r"poll markdown: .*failed", after=told + 1)
    await bot.wait_for_log(r"poll hf: .*failed", after=told + 1)
    assert sum("could not read any source" in line for line in bot.stderr) == 1, bot.log
    assert bot.stdout == []
    assert bot.proc.returncode is None

    # The sources come back: the next polls store, the digest is shown, the bot turns ready.
    fake_source.faults.clear()
    fake_source.add_digest(today, markdown_digest(today))
    shown = await bot.wait_for_shown({e.title for e in MARKDOWN_PAPERS})
    assert all(shown.count(e.title) == 1 for e in MARKDOWN_PAPERS), shown
    await bot.wait_for_log(r"poll markdown: .*fetched 3 papers", after=bad_md + 1)
    await bot.wait_for_log(r"poll hf: .*not published", after=bad_md + 1)
    status, health = await get_json(http, base + "/healthz")
    assert status == 200, health
    assert health["status"] == "ok"

    assert await bot.stop() == 0
    assert not any("Traceback" in line for line in bot.stderr), bot.log
    # One line per failed poll: nothing from the fetcher, nothing from libraries.
    assert not any("bot.sources.http" in line for line in bot.stderr), bot.log


def run_cli(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"POLL_INTERVAL": "soon"}, "POLL_INTERVAL"),
        ({"SOURCES": "feed"}, "FEED_URLS is empty"),
        ({"DIGEST_URL_TEMPLATE": "https://example.org/{year}.md"}, "DIGEST_URL_TEMPLATE"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    done = run_cli(tmp_path, **env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]


def test_a_taken_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli(
            tmp_path,
            HTTP_HOST="127.0.0.1",
            HTTP_PORT=str(port),
            DATA_DIR=str(tmp_path / "data"),
            HF_API_URL="http://127.0.0.1:9/api",
        )
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("papers-bot run: web server on 127.0.0.1:")
    assert "Traceback" not in done.stderr
