"""The status page while the database is away: one line saying so, and 503, whether the
server refuses connections or stops answering; never a traceback, never a hung page.
PostgreSQL behind a TCP forwarder the test takes away."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from bot.models import SourceKind
from bot.status import StatusPage
from bot.store import Store, open_store
from tests.render.page_dom import read_page
from tests.status.support import serving
from tests.status.tcp_proxy import TcpProxy
from tests.status.test_status_page import fetch
from tests.status.world import NOW
from tests.store.conftest import Backend

PAGE_TIMEOUT = 1.0


@contextlib.asynccontextmanager
async def behind_proxy(pg: Backend) -> AsyncIterator[tuple[Store, TcpProxy]]:
    url = make_url(pg.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    through = url.set(port=port, host="127.0.0.1").render_as_string(hide_password=False)
    async with open_store(through, migrate=False, search_path=pg.search_path) as store:
        try:
            yield store, proxy
        finally:
            await proxy.cut()  # before the store closes: a stalled connection would hold it up


def page_on(store: Store) -> StatusPage:
    return StatusPage(
        store,
        sources=[SourceKind.HF],
        polls=dict,
        can_post=lambda _channel: True,
        clock=lambda: NOW,
        timeout=PAGE_TIMEOUT,
    )


def down_line(body: str) -> str:
    page = read_page(body)
    (line,) = [p.text for p in page.by_tag("p") if "down" in p.classes]
    assert page.by_tag("section") == []
    return line


@pytest.mark.parametrize("outage", ["refused", "hung"])
async def test_a_database_away_is_one_line_and_503(pg_backend: Backend, outage: str) -> None:
    async with behind_proxy(pg_backend) as (store, proxy), serving(page_on(store)) as url:
        before, _, _ = await fetch(url)
        if outage == "refused":
            await proxy.cut()
        else:
            proxy.stall()
        status, headers, body = await fetch(url)

    assert before == 200
    assert status == 503
    assert headers["Cache-Control"] == "no-store"
    line = down_line(body)
    assert "\n" not in line
    assert "Traceback" not in body
    if outage == "refused":
        assert line == "The database is not answering: Connection refused"
    else:
        assert line == f"The database is not answering: no answer within {PAGE_TIMEOUT:g} s"
