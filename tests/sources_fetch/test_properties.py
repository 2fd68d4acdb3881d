"""Property tests: whatever a source sends, the parsers answer a Digest or their own error."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Digest
from bot.sources.errors import ParseError
from bot.sources.feed import parse_feed
from bot.sources.hf_api import parse_hf_daily
from bot.sources.numbers import MAX_COUNT
from bot.sources.sentences import split_sentences
from tests.sources_fetch.test_feed import ATOM, RSS
from tests.sources_fetch.test_hf_api import full_item

DAY = dt.date(2024, 3, 5)
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "id", "title", "summary", "upvotes", "authors", "publishedAt", "submittedOnDailyAt",
    "ai_summary", "ai_keywords", "githubRepo", "projectPage", "mediaUrls", "withdrawnAt",
    "thumbnail", "paper",
]  # fmt: skip


def parses_or_refuses_hf(data: Any, day: dt.date | None) -> None:
    try:
        digest = parse_hf_daily(data, day=day)
    except ParseError:
        return
    assert isinstance(digest, Digest)
    assert all(p.arxiv_id and p.title and p.url.startswith("https://") for p in digest.papers)


@PROPERTY_SETTINGS
@given(st.binary(max_size=512), st.none() | st.just(DAY))
def test_hf_arbitrary_bytes(data: bytes, day: dt.date | None) -> None:
    parses_or_refuses_hf(data, day)


@PROPERTY_SETTINGS
@given(st.lists(json_values, max_size=5), st.none() | st.just(DAY), st.booleans())
def test_hf_arbitrary_json(items: list[Any], day: dt.date | None, as_bytes: bool) -> None:
    parses_or_refuses_hf(json.dumps(items).encode() if as_bytes else items, day)


@PROPERTY_SETTINGS
@given(
    st.lists(st.tuples(st.booleans(), st.sampled_from(FIELDS), json_values), max_size=6),
    st.none() | st.just(DAY),
)
def test_hf_mutated_items(mutations: list[tuple[bool, str, Any]], day: dt.date | None) -> None:
    item = full_item("2403.00001")
    for in_paper, name, value in mutations:
        (item["paper"] if in_paper and isinstance(item.get("paper"), dict) else item)[name] = value
    parses_or_refuses_hf([item, full_item("2403.00002")], day)


@PROPERTY_SETTINGS
@given(json_values | st.floats() | st.integers(), st.booleans())
def test_hf_any_json_in_the_votes_field_keeps_the_paper(upvotes: Any, as_bytes: bool) -> None:
    item = full_item("2403.00001")
    item["paper"]["upvotes"] = upvotes
    items = [item]
    data = json.dumps(items).encode() if as_bytes else items
    (paper,) = parse_hf_daily(data, day=DAY).papers
    assert paper.votes is None or 0 <= paper.votes <= MAX_COUNT


def parses_or_refuses_feed(data: bytes) -> None:
    try:
        digest = parse_feed(data, origin="https://feeds.example.org/x", fallback_day=DAY)
    except ParseError:
        return
    assert isinstance(digest, Digest)
    assert all(p.title and p.url for p in digest.papers)


@PROPERTY_SETTINGS
@given(st.binary(max_size=512))
def test_feed_arbitrary_bytes(data: bytes) -> None:
    parses_or_refuses_feed(data)


@PROPERTY_SETTINGS
@given(
    st.sampled_from([RSS, ATOM]),
    st.lists(
        st.tuples(st.integers(0, 4000), st.integers(0, 60), st.binary(max_size=24)), max_size=4
    ),
)
def test_feed_mutated(feed: bytes, edits: list[tuple[int, int, bytes]]) -> None:
    for position, cut, insert in edits:
        at = position % (len(feed) + 1)
        feed = feed[:at] + insert + feed[at + cut :]
    parses_or_refuses_feed(feed)


@PROPERTY_SETTINGS
@given(st.text(max_size=300))
def test_sentences_keep_every_character(text: str) -> None:
    sentences = split_sentences(text)
    assert all(s and s == s.strip() for s in sentences)
    assert "".join(sentences).replace(" ", "") == "".join(text.split())
