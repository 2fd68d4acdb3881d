"""The Hugging Face daily_papers JSON API (SOURCES.md §1): the live source of papers and votes.

The API is undocumented and drifts, so only `paper.id` and `paper.title` are required:
every other field is optional, unknown fields are ignored, and one malformed item is
skipped with a warning instead of costing the whole day. `upvotes` is read as a count
(bot.sources.numbers): `21`, `21.0` and `"21"` are 21 votes, anything else is unknown.
The organisation (`paper.organization`, else the item's) and the submitter
(`paper.submittedOnDailyBy`, else the item's `submittedBy`) are kept as accounts, handle
and shown name, for channels that follow them.

Media choice: the first video among `thumbnail` and `mediaUrls` when there is one (a
paper's teaser video is the richest preview, and `Paper.still_image_url` still falls back
to the social thumbnail for embeds that can't play it), else `thumbnail`, else the first
`mediaUrls` entry.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from yarl import URL

from bot.models import HF_PAPER_URL, Account, Digest, Media, MediaKind, Paper, SourceKind
from bot.sources.errors import ParseError
from bot.sources.http import Fetcher, Validators
from bot.sources.numbers import int_literal, read_count
from bot.sources.result import SourceResult
from bot.sources.sentences import normalize_space, split_sentences

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
#: A day has tens of papers; 40 pages of 50 means the API ignores paging, not a busy day.
MAX_PAGES = 40


#: What an id may look like before it goes into a URL (new-style arXiv ids, old ones with /).
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")


class _SkipItem(Exception):
    """This one item is unusable; the reason goes into the warning."""


def parse_hf_daily(
    data: bytes | str | list[Any], *, day: dt.date | None = None, origin: str | None = None
) -> Digest:
    """One answer (or several pages joined) of the daily_papers API as a Digest.

    `day` is the Daily Papers day asked for; without it, each paper's day comes from its
    `submittedOnDailyAt` (else `publishedAt`) and the digest's from the first paper.
    """
    items = _load(data, origin)
    papers: list[Paper] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        try:
            paper = _paper(item, day)
        except _SkipItem as skip:
            log.warning("%s: skipped item %d: %s", origin or "HF daily papers", index, skip)
            continue
        if paper.key in seen:
            continue
        seen.add(paper.key)
        papers.append(paper)
    if day is None:
        if not papers:
            raise ParseError(f"{origin or 'HF daily papers'}: no papers and no day to date them")
        day = papers[0].date
    return Digest(date=day, source=SourceKind.HF, papers=tuple(papers), origin=origin)


async def fetch_hf_day(
    fetcher: Fetcher,
    base_url: str,
    day: dt.date,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_pages: int = MAX_PAGES,
) -> SourceResult:
    """All pages of one Daily Papers day, until a short or empty page.

    No conditional GET here: votes change all day and a page's ETag says nothing about
    the next page, so every poll reads the day afresh (a day is a few tens of KB).
    A day with no papers, or one the API answers with another day's papers (it does so
    for weekends), is NOT_PUBLISHED.
    """
    if page_size < 1 or max_pages < 1:
        raise ValueError("page_size and max_pages must be >= 1")
    items: list[Any] = []
    ids: set[str] = set()
    first_url = _page_url(base_url, day, page_size, 0)
    for page in range(max_pages):
        url = _page_url(base_url, day, page_size, page)
        result = await fetcher.get(url)
        batch = _load(result.body or b"", url)
        fresh = [item for item in batch if _item_id(item) not in ids]
        ids.update(i for i in map(_item_id, fresh) if i is not None)
        items.extend(fresh)
        if len(batch) < page_size:
            break
        if not fresh:
            log.warning("%s repeated the previous page; the API ignores paging?", url)
            break
    else:
        log.warning("%s: stopped after %d pages of %d", first_url, max_pages, page_size)
    daily_dates = [_daily_date(item) for item in items]
    if not items or (None not in daily_dates and day not in daily_dates):
        if items:
            log.info("%s answered another day's papers; %s is not published", first_url, day)
        return SourceResult.not_published(first_url)
    digest = await asyncio.to_thread(parse_hf_daily, items, day=day, origin=first_url)
    return SourceResult.fetched(first_url, digest, Validators())


def _page_url(base_url: str, day: dt.date, page_size: int, page: int) -> str:
    query = {"date": day.isoformat(), "limit": str(page_size), "p": str(page)}
    return str(URL(base_url).update_query(query))


def _load(data: bytes | str | list[Any], origin: str | None) -> list[Any]:
    where = origin or "HF daily papers"
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data, parse_int=int_literal)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise ParseError(f"{where}: not JSON ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, list):
        raise ParseError(f"{where}: expected a JSON list of papers, got {type(data).__name__}")
    return data


def _item_id(item: Any) -> str | None:
    paper = item.get("paper") if isinstance(item, Mapping) else None
    value = paper.get("id") if isinstance(paper, Mapping) else None
    return value.strip() if isinstance(value, str) else None


def _paper(item: Any, day: dt.date | None) -> Paper:
    if not isinstance(item, Mapping):
        raise _SkipItem(f"expected an object, got {type(item).__name__}")
    paper = item.get("paper")
    if not isinstance(paper, Mapping):
        raise _SkipItem("no 'paper' object")
    arxiv_id = _item_id(item)
    if not arxiv_id or not _ID.fullmatch(arxiv_id):
        raise _SkipItem(f"no usable paper.id ({arxiv_id!r})")
    title = _text(paper.get("title")) or _text(item.get("title"))
    if not title:
        raise _SkipItem(f"paper {arxiv_id} has no title")
    if paper.get("withdrawnAt"):
        raise _SkipItem(f"paper {arxiv_id} was withdrawn")
    date = day or _daily_date(item) or _date(paper.get("publishedAt"), item.get("publishedAt"))
    if date is None:
        raise _SkipItem(f"paper {arxiv_id} has no date and none was given")
    abstract = _text(paper.get("summary")) or _text(item.get("summary"))
    ai_summary = _text(paper.get("ai_summary")) or _text(item.get("ai_summary"))
    bullets = ([ai_summary] if ai_summary else []) + (split_sentences(abstract) if abstract else [])
    return Paper(
        title=title,
        url=HF_PAPER_URL.format(arxiv_id=arxiv_id),
        date=date,
        source=SourceKind.HF,
        language="en",
        arxiv_id=arxiv_id,
        votes=read_count(paper.get("upvotes"), what=f"paper {arxiv_id} upvotes"),
        authors=tuple(_author_names(paper.get("authors"))),
        media=_media(item.get("thumbnail"), item.get("mediaUrls"), paper.get("mediaUrls")),
        bullets=tuple(bullets),
        abstract=abstract,
        github_url=_url(paper.get("githubRepo")),
        project_url=_url(paper.get("projectPage")),
        keywords=tuple(k for k in map(_text, _list(paper.get("ai_keywords"))) if k),
        organization=_account(paper.get("organization"), item.get("organization")),
        submitter=_account(paper.get("submittedOnDailyBy"), item.get("submittedBy")),
    )


def _text(value: Any) -> str | None:
    return (normalize_space(value) or None) if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _url(value: Any) -> str | None:
    text = _text(value)
    return text if text and text.startswith(("http://", "https://")) else None


def _author_names(authors: Any) -> Iterable[str]:
    for author in _list(authors):
        name = _text(author.get("name")) if isinstance(author, Mapping) else None
        if name:
            yield name


def _account(*candidates: Any) -> Account | None:
    """The first account object with a handle: organisations carry `name` (the handle) and
    `fullname`; users carry `user` (the handle), `fullname`, and sometimes `name`."""
    for value in candidates:
        if not isinstance(value, Mapping):
            continue
        handle = _text(value.get("user")) or _text(value.get("name"))
        if handle:
            shown = _text(value.get("fullname"))
            return Account(handle, shown if shown != handle else None)
    return None


def _media(thumbnail: Any, *url_lists: Any) -> Media | None:
    candidates = [_url(thumbnail)] + [_url(u) for urls in url_lists for u in _list(urls)]
    media = [Media.from_url(url) for url in candidates if url]
    videos = [m for m in media if m.kind is MediaKind.VIDEO]
    chosen = videos or media
    return chosen[0] if chosen else None


def _daily_date(item: Any) -> dt.date | None:
    """The Daily Papers day of an item (not its arXiv date), when the API says so."""
    paper = item.get("paper") if isinstance(item, Mapping) else None
    return _date(paper.get("submittedOnDailyAt")) if isinstance(paper, Mapping) else None


def _date(*values: Any) -> dt.date | None:
    for value in values:
        if isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                continue
            return moment.astimezone(dt.UTC).date() if moment.tzinfo else moment.date()
    return None
