"""Dated markdown digests: URL templates and the day fetcher against the fake source."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import aiohttp
import pytest

from bot.sources.dated import TemplateError, digest_url, fetch_markdown_day, validate_template
from bot.sources.errors import HttpStatusError, ParseError
from bot.sources.http import Validators
from bot.sources.result import SourceResult, SourceStatus
from tests.fakes.source import FakeSource
from tests.sources_fetch.helpers import make_fetcher

DAY = dt.date(2024, 3, 5)

# Synthetic, written for these tests in the daily_papers_ko layout.
DIGEST = """## Daily Papers (2024-03-05)

### [Counting Sheep with Sparse Transformers](https://arxiv.org/abs/2403.00001)

![](https://example.org/thumbs/2403.00001.png)

Vote: 12

Authors: Ada Example, Bo Sample

- ***What's New***: A synthetic first bullet.
- **Technical Details**: Another bullet.

### [Quiet Videos](https://arxiv.org/abs/2403.00002)

[Watch Video](https://example.org/media/teaser.mp4)
<div><video controls src="https://example.org/media/teaser.mp4" muted="false"></video></div>

Vote: -

- Only bullet.
"""


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("https://x.org/{yyyy}/{mm}/{dd}.md", "https://x.org/2024/03/05.md"),
        ("https://x.org/d/{date}.md", "https://x.org/d/2024-03-05.md"),
        ("https://x.org/{yyyy}{mm}{dd}/{date}", "https://x.org/20240305/2024-03-05"),
        ("https://x.org/{{raw}}/{date}.md", "https://x.org/{raw}/2024-03-05.md"),
    ],
)
def test_digest_url_fills_the_placeholders(template: str, expected: str) -> None:
    assert digest_url(template, DAY) == expected
    assert validate_template(template) == template


def test_digest_url_pads_early_dates() -> None:
    assert digest_url("{yyyy}/{mm}/{dd}", dt.date(987, 1, 2)) == "0987/01/02"


@pytest.mark.parametrize(
    ("template", "complaint"),
    [
        ("https://x.org/{owner}/{yyyy}/{mm}/{dd}.md", "unknown placeholder {owner}"),
        ("https://x.org/{yyyy}/{mm}.md", "must contain {date} or all of"),
        ("https://x.org/static.md", "must contain {date} or all of"),
        ("https://x.org/{dd:>3}/{date}", "unknown placeholder {dd}"),
        ("https://x.org/{date!r}", "unknown placeholder {date}"),
        ("https://x.org/{0}/{date}", "unknown placeholder {0}"),
        ("https://x.org/{date", "digest URL template"),
        ("https://x.org/}{date}", "digest URL template"),
    ],
)
def test_bad_templates_are_refused_with_a_reason(template: str, complaint: str) -> None:
    with pytest.raises(TemplateError, match=complaint.replace("{", r"\{").replace("}", r"\}")):
        digest_url(template, DAY)
    assert issubclass(TemplateError, ValueError)


async def test_a_published_day_is_fetched_and_parsed(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_digest(DAY, DIGEST)
    result = await fetch_markdown_day(make_fetcher(session), fake_source.digest_template, DAY)
    assert result.status is SourceStatus.FETCHED
    assert result.url == fake_source.digest_url(DAY)
    assert result.digest is not None
    assert result.digest.date == DAY
    assert [p.arxiv_id for p in result.digest.papers] == ["2403.00001", "2403.00002"]
    assert result.digest.papers[0].votes == 12
    assert result.digest.papers[1].votes is None
    assert result.validators.etag == fake_source.digests[DAY].etag


async def test_an_unchanged_day_costs_one_304(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_digest(DAY, DIGEST)
    fetcher = make_fetcher(session)
    first = await fetch_markdown_day(fetcher, fake_source.digest_template, DAY)
    second = await fetch_markdown_day(
        fetcher, fake_source.digest_template, DAY, validators=first.validators
    )
    assert second == SourceResult.not_modified(first.url, first.validators)
    assert second.digest is None
    assert [r.headers.get("If-None-Match") for r in fake_source.requests] == [
        None,
        first.validators.etag,
    ]


async def test_a_missing_day_is_not_published_yet(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fetcher = make_fetcher(session, retries=3)
    result = await fetch_markdown_day(fetcher, fake_source.digest_template, DAY)
    assert result == SourceResult.not_published(fake_source.digest_url(DAY))
    assert len(fake_source.requests) == 1  # a 404 is an answer, not a failure to retry


async def test_a_non_utf8_body_is_a_clear_parse_error(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_digest(DAY, DIGEST.encode("utf-8") + "Vote: é\n".encode("latin-1"))
    with pytest.raises(ParseError, match="not UTF-8") as caught:
        await fetch_markdown_day(make_fetcher(session), fake_source.digest_template, DAY)
    assert fake_source.digest_url(DAY) in str(caught.value)


async def test_a_body_that_is_not_a_digest_is_a_parse_error(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_digest(DAY, "<html><body>Rate limited, try later</body></html>")
    with pytest.raises(ParseError):
        await fetch_markdown_day(make_fetcher(session), fake_source.digest_template, DAY)


async def test_a_broken_server_is_a_fetch_error_after_retries(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_digest(DAY, DIGEST)
    fake_source.fail_next(100, 500)
    with pytest.raises(HttpStatusError):
        await fetch_markdown_day(make_fetcher(session, retries=2), fake_source.digest_template, DAY)
    assert len(fake_source.requests) == 3


async def test_a_server_blip_is_retried_into_a_digest(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_digest(DAY, DIGEST)
    fake_source.fail_next(1, 502)
    result = await fetch_markdown_day(make_fetcher(session), fake_source.digest_template, DAY)
    assert result.digest is not None
    assert len(result.digest.papers) == 2


async def test_a_digest_dir_is_served_by_date(
    fake_source: FakeSource, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    root = tmp_path / "digests"
    (root / "2024" / "03").mkdir(parents=True)
    (root / "2024" / "03" / "05.md").write_text(DIGEST, encoding="utf-8")
    fake_source.digest_dir = root
    fetcher = make_fetcher(session)
    found = await fetch_markdown_day(fetcher, fake_source.digest_template, DAY)
    missing = await fetch_markdown_day(fetcher, fake_source.digest_template, dt.date(2024, 3, 6))
    assert found.digest is not None
    assert len(found.digest.papers) == 2
    assert missing.status is SourceStatus.NOT_PUBLISHED


def test_source_result_keeps_digest_and_status_consistent() -> None:
    with pytest.raises(ValueError, match="exactly when"):
        SourceResult(SourceStatus.FETCHED, "u", None, Validators())
