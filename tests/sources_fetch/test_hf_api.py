"""The HF daily_papers JSON: tolerant parsing of synthetic answers, and paging against the fake."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import aiohttp
import pytest

from bot.models import Account, Media, MediaKind, SourceKind
from bot.sources.errors import ParseError
from bot.sources.hf_api import fetch_hf_day, parse_hf_daily
from bot.sources.result import SourceStatus
from tests.fakes.source import FakeSource
from tests.sources_fetch.helpers import make_fetcher

DAY = dt.date(2024, 3, 5)
THUMB = "https://cdn.example.org/thumbs/{id}.png"
VIDEO = "https://cdn.example.org/uploads/{id}.mp4"


def hf_item(arxiv_id: str, title: str = "A Synthetic Paper", **paper: Any) -> dict[str, Any]:
    """A minimal item in the API's shape; `paper` overrides or adds fields of `item.paper`."""
    return {"paper": {"id": arxiv_id, "title": title, **paper}}


def full_item(arxiv_id: str, day: dt.date = DAY) -> dict[str, Any]:
    """Every documented field, plus some the bot does not know about."""
    return {
        "paper": {
            "id": arxiv_id,
            "title": "  Sparse   Sheep:\n Counting at Scale ",
            "summary": "We count sheep, e.g. 3.5 per field. Smith et al. did less.\n New idea.",
            "upvotes": 42,
            "authors": [
                {"_id": "a1", "name": "Ada  Example", "hidden": False, "user": {"x": 1}},
                {"_id": "a2", "name": "Bo Sample", "hidden": True},
                {"_id": "a3"},
                "not an author object",
            ],
            "publishedAt": "2024-03-01T17:00:00.000Z",
            "submittedOnDailyAt": f"{day.isoformat()}T01:22:12.512Z",
            "submittedOnDailyBy": {"user": "someone"},
            "discussionId": "d1",
            "ai_summary": "Sheep are counted faster.",
            "ai_keywords": ["sheep", "  counting ", 7, ""],
            "githubRepo": "https://github.com/example/sheep",
            "githubStars": 10,
            "projectPage": "https://example.org/sheep",
            "mediaUrls": [],
            "a_field_from_the_future": {"nested": [1, 2]},
        },
        "title": "Sparse Sheep",
        "summary": "item-level summary",
        "thumbnail": THUMB.format(id=arxiv_id),
        "mediaUrls": [VIDEO.format(id=arxiv_id)],
        "numComments": 3,
        "publishedAt": "2024-03-01T17:00:00.000Z",
        "submittedBy": {"name": "someone"},
        "isAuthorParticipating": False,
        "another_unknown": None,
    }


def test_a_full_item_maps_every_field() -> None:
    digest = parse_hf_daily(json.dumps([full_item("2403.00001")]).encode(), day=DAY)
    assert digest.date == DAY
    assert digest.source is SourceKind.HF
    (paper,) = digest.papers
    assert paper.arxiv_id == "2403.00001"
    assert paper.title == "Sparse Sheep: Counting at Scale"
    assert paper.url == "https://huggingface.co/papers/2403.00001"
    assert paper.votes == 42
    assert paper.authors == ("Ada Example", "Bo Sample")
    assert not paper.authors_truncated
    assert paper.media == Media(MediaKind.VIDEO, VIDEO.format(id="2403.00001"))
    assert paper.still_image_url is not None
    assert paper.bullets == (
        "Sheep are counted faster.",
        "We count sheep, e.g. 3.5 per field.",
        "Smith et al. did less.",
        "New idea.",
    )
    assert paper.abstract == "We count sheep, e.g. 3.5 per field. Smith et al. did less. New idea."
    assert paper.github_url == "https://github.com/example/sheep"
    assert paper.project_url == "https://example.org/sheep"
    assert paper.keywords == ("sheep", "counting")
    assert (paper.organization, paper.submitter) == (None, Account("someone"))
    assert paper.language == "en"
    assert paper.source is SourceKind.HF
    assert paper.date == DAY


def test_only_id_and_title_are_needed() -> None:
    (paper,) = parse_hf_daily([hf_item("2403.00002", "Bare")], day=DAY).papers
    assert (paper.arxiv_id, paper.title, paper.votes, paper.media) == (
        "2403.00002",
        "Bare",
        None,
        None,
    )
    assert paper.authors == ()
    assert paper.bullets == ()
    assert paper.abstract is None
    assert paper.github_url is None
    assert paper.keywords == ()
    assert (paper.organization, paper.submitter) == (None, None)


ORG = {"_id": "o1", "name": "tidal-lab", "fullname": "Tidal  Lab", "avatar": "https://e.org/a.png"}
USER = {"_id": "u1", "user": "ada-ex", "fullname": "Ada Example", "type": "user"}


@pytest.mark.parametrize(
    ("paper_fields", "item_fields", "organization", "submitter"),
    [
        (
            {"organization": ORG, "submittedOnDailyBy": USER},
            {},
            ("tidal-lab", "Tidal Lab"),
            ("ada-ex", "Ada Example"),
        ),
        (
            {},
            {"organization": ORG, "submittedBy": USER},
            ("tidal-lab", "Tidal Lab"),
            ("ada-ex", "Ada Example"),
        ),
        ({"organization": {"name": "solo", "fullname": "solo"}}, {}, ("solo", None), None),
        (
            {"organization": "tidal-lab", "submittedOnDailyBy": {"fullname": "No Handle"}},
            {},
            None,
            None,
        ),
        (
            {"organization": {"name": 7}, "submittedOnDailyBy": []},
            {"submittedBy": {"name": " x "}},
            None,
            ("x", None),
        ),
    ],
)
def test_organisation_and_submitter_are_accounts(
    paper_fields: dict[str, Any],
    item_fields: dict[str, Any],
    organization: tuple[str, str | None] | None,
    submitter: tuple[str, str | None] | None,
) -> None:
    """The paper's own fields first, the item's otherwise; an account needs a handle, and
    a shown name equal to it is not kept twice."""
    item = {**hf_item("2403.00009", **paper_fields), **item_fields}
    (paper,) = parse_hf_daily([item], day=DAY).papers
    assert paper.organization == (Account(*organization) if organization else None)
    assert paper.submitter == (Account(*submitter) if submitter else None)


@pytest.mark.parametrize(
    ("thumbnail", "media_urls", "expected"),
    [
        (THUMB, [], Media(MediaKind.IMAGE, THUMB)),
        (THUMB, [VIDEO], Media(MediaKind.VIDEO, VIDEO)),
        (VIDEO, [], Media(MediaKind.VIDEO, VIDEO)),
        (None, ["https://cdn.example.org/a.gif", VIDEO], Media(MediaKind.VIDEO, VIDEO)),
        (
            None,
            ["https://cdn.example.org/a.gif"],
            Media(MediaKind.IMAGE, "https://cdn.example.org/a.gif"),
        ),
        ("not a url", ["javascript:alert(1)", 5], None),
    ],
)
def test_media_prefers_a_video_then_the_thumbnail(
    thumbnail: Any, media_urls: list[Any], expected: Media | None
) -> None:
    item = hf_item("2403.00003")
    item["thumbnail"] = thumbnail
    item["mediaUrls"] = media_urls
    assert parse_hf_daily([item], day=DAY).papers[0].media == expected


def _drifted_votes(upvotes: str) -> int | None:
    """The votes of a full, real-shaped answer whose `upvotes` is the JSON text given."""
    text = json.dumps([full_item("2403.00004")]).replace('"upvotes": 42', f'"upvotes": {upvotes}')
    assert upvotes in text
    (paper,) = parse_hf_daily(text.encode(), day=DAY).papers
    assert paper.title == "Sparse Sheep: Counting at Scale"  # the rest of the paper is kept
    return paper.votes


@pytest.mark.parametrize("upvotes", ["21", "21.0", '"21"', '" 21 "', "21.000"])
def test_votes_written_as_float_or_string_are_kept(upvotes: str) -> None:
    assert _drifted_votes(upvotes) == 21


@pytest.mark.parametrize(
    "upvotes",
    ["21.5", "true", "-3", "NaN", "Infinity", "1e12", "7" * 5000, "[3]", '{"n": 3}', '"21 up"'],
)
def test_odd_vote_values_are_unknown_with_a_debug_line(
    upvotes: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot.sources.numbers"):
        assert _drifted_votes(upvotes) is None
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["paper 2403.00004 upvotes"]


def test_missing_votes_are_unknown() -> None:
    item = hf_item("2403.00004")
    assert parse_hf_daily([item], day=DAY).papers[0].votes is None


def test_malformed_items_are_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    items: list[Any] = [
        "a string",
        None,
        {"no_paper": True},
        {"paper": "not an object"},
        {"paper": {"title": "no id"}},
        {"paper": {"id": "", "title": "empty id"}},
        {"paper": {"id": "../../etc/passwd", "title": "hostile id"}},
        {"paper": {"id": 2403.00005, "title": "numeric id"}},
        {"paper": {"id": "2403.00006"}},
        {"paper": {"id": "2403.00007", "title": "   "}},
        hf_item("2403.00008", "Withdrawn", withdrawnAt="2024-03-06T00:00:00Z"),
        hf_item("2403.00009", "Good one"),
        hf_item("2403.00009", "Same id again"),
    ]
    with caplog.at_level(logging.WARNING, logger="bot.sources.hf_api"):
        digest = parse_hf_daily(items, day=DAY, origin="synthetic.json")
    assert [p.title for p in digest.papers] == ["Good one"]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 11
    assert all(w.startswith("synthetic.json: skipped item") for w in warnings)
    assert any("withdrawn" in w for w in warnings)


def test_title_falls_back_to_the_item_title() -> None:
    item: dict[str, Any] = {"paper": {"id": "2403.00010"}, "title": "Outer title"}
    assert parse_hf_daily([item], day=DAY).papers[0].title == "Outer title"


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b'{"papers": []}',
        b"null",
        b"42",
        b'"text"',
        b"not json",
        b"",
        b"\xff\xfe\x00[",
        b"[" * 100_000,
    ],
)
def test_a_body_that_is_not_a_json_list_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_hf_daily(body, day=DAY)


def test_dates_come_from_the_items_when_no_day_is_given() -> None:
    first = full_item("2403.00011", dt.date(2024, 3, 4))
    second = hf_item("2403.00012", publishedAt="2024-02-28T10:00:00+09:00")
    third = hf_item("2403.00013")
    digest = parse_hf_daily([first, second, third])
    assert digest.date == dt.date(2024, 3, 4)
    assert [p.date for p in digest.papers] == [dt.date(2024, 3, 4), dt.date(2024, 2, 28)]


def test_an_empty_list_needs_a_day() -> None:
    assert parse_hf_daily(b"[]", day=DAY).papers == ()
    with pytest.raises(ParseError, match="no papers"):
        parse_hf_daily(b"[]")


def test_a_text_body_parses_like_bytes() -> None:
    text = json.dumps([full_item("2403.00014")])
    assert parse_hf_daily(text, day=DAY) == parse_hf_daily(text.encode(), day=DAY)


def day_items(count: int, day: dt.date = DAY) -> list[dict[str, Any]]:
    return [full_item(f"2403.{n:05d}", day) for n in range(count)]


async def test_a_day_is_read_across_three_pages(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_hf_day(DAY, day_items(120))
    result = await fetch_hf_day(make_fetcher(session), fake_source.hf_url, DAY, page_size=50)
    assert result.status is SourceStatus.FETCHED
    assert result.digest is not None
    assert [p.arxiv_id for p in result.digest.papers] == [f"2403.{n:05d}" for n in range(120)]
    assert [r.query for r in fake_source.requests] == [
        {"date": "2024-03-05", "limit": "50", "p": str(page)} for page in range(3)
    ]
    assert result.digest.origin == result.url


async def test_a_full_last_page_is_followed_by_an_empty_one(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_hf_day(DAY, day_items(100))
    result = await fetch_hf_day(make_fetcher(session), fake_source.hf_url, DAY, page_size=50)
    assert result.digest is not None
    assert len(result.digest.papers) == 100
    assert [r.query["p"] for r in fake_source.requests] == ["0", "1", "2"]


async def test_an_api_that_ignores_paging_does_not_loop(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_hf_day(DAY, day_items(30))
    fake_source.hf_ignores_paging = True
    result = await fetch_hf_day(make_fetcher(session), fake_source.hf_url, DAY, page_size=10)
    assert result.digest is not None
    assert len(result.digest.papers) == 10
    assert len(fake_source.requests) == 2


async def test_paging_stops_at_the_page_cap(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_hf_day(DAY, day_items(30))
    fetcher = make_fetcher(session)
    result = await fetch_hf_day(fetcher, fake_source.hf_url, DAY, page_size=5, max_pages=3)
    assert result.digest is not None
    assert len(result.digest.papers) == 15
    assert len(fake_source.requests) == 3


async def test_an_empty_day_is_not_published(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    result = await fetch_hf_day(make_fetcher(session), fake_source.hf_url, DAY)
    assert result.status is SourceStatus.NOT_PUBLISHED
    assert result.digest is None


async def test_another_days_papers_are_not_this_days(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    friday = dt.date(2024, 3, 1)
    saturday = dt.date(2024, 3, 2)
    fake_source.add_hf_day(saturday, day_items(3, friday))
    result = await fetch_hf_day(make_fetcher(session), fake_source.hf_url, saturday)
    assert result.status is SourceStatus.NOT_PUBLISHED


async def test_undated_items_are_trusted_to_be_the_days(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_hf_day(
        DAY, [hf_item("2403.00020"), full_item("2403.00021", dt.date(2024, 3, 1))]
    )
    result = await fetch_hf_day(make_fetcher(session), fake_source.hf_url, DAY)
    assert result.digest is not None
    assert {p.date for p in result.digest.papers} == {DAY}


async def test_a_failing_page_is_retried(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.add_hf_day(DAY, day_items(60))
    fake_source.fail_next(1, 500)
    result = await fetch_hf_day(make_fetcher(session), fake_source.hf_url, DAY, page_size=50)
    assert result.digest is not None
    assert len(result.digest.papers) == 60


async def test_a_non_list_page_is_a_parse_error(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    not_json = fake_source.add_feed("html", "<html>maintenance</html>", "text/html")
    with pytest.raises(ParseError, match="not JSON"):
        await fetch_hf_day(make_fetcher(session), not_json, DAY)


async def test_page_size_must_be_positive(session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError, match="page_size"):
        await fetch_hf_day(make_fetcher(session), "http://127.0.0.1:9/x", DAY, page_size=0)
