"""Serving a status page on the bot's web server, and reading its tables back."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from prometheus_client import CollectorRegistry

from bot.status import PATH, StatusPage
from bot.web import WebServer
from tests.render.page_dom import Element, Page


@contextlib.asynccontextmanager
async def serving(page: StatusPage, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """The page mounted as `run` mounts it, on a free port; yields its address."""
    server = WebServer(CollectorRegistry(), host=host, port=0)
    server.add_routes(page.routes())
    await server.start()
    try:
        yield f"http://{host}:{server.port}{PATH}"
    finally:
        await server.stop()


def section(page: Page, anchor: str) -> Element:
    (found,) = [e for e in page.by_tag("section") if e.attrs.get("id") == anchor]
    return found


def _cells(row: Element) -> list[str]:
    return [" ".join(cell.text.split()) for cell in row.children if cell.tag == "td"]


def rows(table_holder: Element) -> list[list[str]]:
    """Each body row's cells, as text with spaces collapsed."""
    return [_cells(e) for e in table_holder.walk() if e.tag == "tr" and _cells(e)]


def tables(holder: Element) -> list[list[list[str]]]:
    return [rows(table) for table in holder.walk() if table.tag == "table"]
