"""`papers-bot run` as a real process: no /status unless STATUS_PAGE is set; with it, the
page of the running bot (its real polls of the fake source, its one console subscription)
on HTTP_HOST only."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import aiohttp
import pytest

from tests.app.content import hf_items, markdown_digest
from tests.app.process import BotProcess
from tests.app.test_run import bot_env
from tests.fakes.source import FakeSource
from tests.render.page_dom import read_page
from tests.status.support import rows, section

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


async def test_there_is_no_status_page_unless_it_is_turned_on(
    fake_source: FakeSource, tmp_path: Path, http: aiohttp.ClientSession, bots: list[BotProcess]
) -> None:
    bot = await BotProcess.start(bot_env(fake_source, tmp_path / "data"), tmp_path)
    bots.append(bot)
    base = f"http://127.0.0.1:{await bot.wait_for_port()}"

    async with http.get(base + "/status") as resp:
        assert resp.status == 404
    async with http.get(base + "/livez") as resp:
        assert resp.status == 200
    assert "/status" not in bot.stderr[await bot.wait_for_log("web server listening")]


async def test_the_running_bot_shows_its_polls_and_subscription_on_http_host_only(
    fake_source: FakeSource, tmp_path: Path, http: aiohttp.ClientSession, bots: list[BotProcess]
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    fake_source.add_digest(today, markdown_digest(today))
    fake_source.add_hf_day(today, hf_items(today))
    env = bot_env(fake_source, tmp_path / "data", STATUS_PAGE="true")
    assert env["HTTP_HOST"] == "127.0.0.1"
    bot = await BotProcess.start(env, tmp_path)
    bots.append(bot)
    port = await bot.wait_for_port()
    assert bot.stderr[await bot.wait_for_log("web server listening")].endswith(
        "(/healthz, /livez, /metrics, /status)"
    )
    await bot.wait_for_log(r"poll markdown: .*fetched 3 papers")
    await bot.wait_for_log(r"poll hf: .*fetched 2 papers")

    async with http.get(f"http://127.0.0.1:{port}/status") as resp:
        assert resp.status == 200
        assert resp.headers["Cache-Control"] == "no-store"
        page = read_page(await resp.text())

    sources = {line[0]: line for line in rows(section(page, "sources"))}
    assert sorted(sources) == ["hf", "markdown"]
    for line in sources.values():
        assert line[1] == "ok"
        assert re.fullmatch(rf"{STAMP} \((now|\d+ min ago)\)", line[2]), line
        assert line[5:7] == ["1", today.isoformat()]
    [(channel, schedule, upcoming, state)] = rows(section(page, "subscriptions"))
    assert (channel, schedule, state) == ("console:stdout", "09:00 UTC", "active")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT09:00:00Z \(in .+\)", upcoming), upcoming

    # Bound to 127.0.0.1 as HTTP_HOST says: another loopback address finds nobody there.
    with pytest.raises(aiohttp.ClientConnectorError):
        async with http.get(f"http://127.0.0.2:{port}/status"):
            pass
    assert await bot.stop() == 0
