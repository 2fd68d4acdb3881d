"""RSS 2.0 and Atom feeds: synthetic feeds written here, parsed and fetched from the fake."""

from __future__ import annotations

import datetime as dt

import aiohttp
import pytest

from bot.models import Media, MediaKind, SourceKind
from bot.sources.errors import ParseError
from bot.sources.feed import extract_arxiv_id, fetch_feed, html_to_text, parse_feed
from bot.sources.result import SourceStatus
from tests.fakes.source import FakeSource
from tests.sources_fetch.helpers import make_fetcher

ORIGIN = "https://feeds.example.org/papers.xml"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:media="http://search.yahoo.com/mrss/">
<channel>
  <title>Synthetic paper listing</title>
  <link>https://feeds.example.org/</link>
  <description>written for tests</description>
  <language>en-us</language>
  <item>
    <title>Counting Sheep with &lt;think&gt; Tokens</title>
    <link>https://arxiv.org/abs/2403.00001v2</link>
    <guid isPermaLink="false">oai:arXiv.org:2403.00001v2</guid>
    <description>arXiv:2403.00001v2 Announce Type: new
Abstract: We count &lt;b&gt;sheep&lt;/b&gt;, e.g. in fields.
 Results improve by 3.5 points.</description>
    <dc:creator>Ada Example, Bo Sample and Cy Third</dc:creator>
    <pubDate>Tue, 05 Mar 2024 00:00:00 -0500</pubDate>
    <category>cs.CL</category>
    <media:thumbnail url="https://cdn.example.org/t/2403.00001.png"/>
  </item>
  <item>
    <title>A Paper Known Only by Its guid</title>
    <guid isPermaLink="false">oai:arXiv.org:2403.00002</guid>
    <description>&lt;p&gt;First paragraph.&lt;/p&gt;&lt;p&gt;Second paragraph.&lt;/p&gt;
    </description>
    <enclosure url="https://cdn.example.org/v/teaser.webm" length="100" type="video/webm"/>
    <enclosure url="https://cdn.example.org/p/2403.00002.pdf" length="100" type="application/pdf"/>
  </item>
  <item>
    <title>No arXiv id here</title>
    <link>https://blog.example.org/post/1</link>
    <description>Plain text.</description>
    <enclosure url="https://cdn.example.org/p/paper.pdf" length="100" type="application/pdf"/>
  </item>
  <item>
    <description>An entry without a title is skipped.</description>
    <link>https://blog.example.org/post/2</link>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"
      xml:lang="ko-KR">
  <title>합성 피드</title>
  <id>urn:example:feed</id>
  <updated>2024-03-06T08:00:00Z</updated>
  <entry>
    <title type="html">Video &amp;amp; Vision</title>
    <id>urn:example:entry:1</id>
    <link rel="alternate" href="https://huggingface.co/papers/2403.00003"/>
    <link rel="related" type="application/pdf" href="https://arxiv.org/pdf/2403.00003v1"/>
    <published>2024-03-04T10:00:00Z</published>
    <author><name>Ada Example</name></author>
    <author><name>Bo Sample</name></author>
    <summary>Short teaser.</summary>
    <content type="html">&lt;p&gt;우리는 새로운 방법을 제안한다. 결과는 좋다.&lt;/p&gt;</content>
    <media:content url="https://cdn.example.org/v/clip" medium="video"/>
    <media:thumbnail url="https://cdn.example.org/t/3.jpg"/>
  </entry>
  <entry>
    <title>Undated Entry</title>
    <id>urn:example:entry:2</id>
    <link href="https://example.org/undated"/>
  </entry>
</feed>
""".encode()


def test_rss_items_become_papers() -> None:
    digest = parse_feed(RSS, origin=ORIGIN, fallback_day=dt.date(2024, 3, 9))
    assert digest.source is SourceKind.FEED
    assert digest.origin == ORIGIN
    assert digest.language == "en"
    first, second, third = digest.papers
    assert first.title == "Counting Sheep with <think> Tokens"
    assert first.arxiv_id == "2403.00001"
    assert first.url == "https://arxiv.org/abs/2403.00001v2"
    assert first.votes is None
    assert first.authors == ("Ada Example", "Bo Sample", "Cy Third")
    assert first.abstract == "We count sheep, e.g. in fields. Results improve by 3.5 points."
    assert first.bullets == ("We count sheep, e.g. in fields.", "Results improve by 3.5 points.")
    assert first.media == Media(MediaKind.IMAGE, "https://cdn.example.org/t/2403.00001.png")
    assert first.date == dt.date(2024, 3, 5)
    assert first.keywords == ("cs.CL",)
    assert first.source is SourceKind.FEED

    assert second.arxiv_id == "2403.00002"
    assert second.url == "https://arxiv.org/abs/2403.00002"
    assert second.bullets == ("First paragraph.", "Second paragraph.")
    assert second.media == Media(MediaKind.VIDEO, "https://cdn.example.org/v/teaser.webm")
    assert second.authors == ()

    assert third.arxiv_id is None
    assert third.key == "title:no arxiv id here"
    assert third.media is None  # a PDF enclosure is no preview
    assert third.date == dt.date(2024, 3, 9)
    assert digest.date == dt.date(2024, 3, 5)


def test_atom_entries_become_papers() -> None:
    digest = parse_feed(ATOM, origin=ORIGIN)
    assert digest.language == "ko"
    first, undated = digest.papers
    assert first.title == "Video & Vision"
    assert first.arxiv_id == "2403.00003"
    assert first.url == "https://huggingface.co/papers/2403.00003"
    assert first.authors == ("Ada Example", "Bo Sample")
    assert first.bullets == ("우리는 새로운 방법을 제안한다.", "결과는 좋다.")
    assert first.media == Media(MediaKind.VIDEO, "https://cdn.example.org/v/clip")
    assert first.date == dt.date(2024, 3, 4)
    assert first.language == "ko"
    assert undated.date == dt.date(2024, 3, 6)  # the feed's own date
    assert digest.date == dt.date(2024, 3, 6)


def test_undated_feed_uses_the_fallback_day() -> None:
    feed = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>Only</title><link>https://example.org/1</link></item></channel></rss>"""
    digest = parse_feed(feed, origin=ORIGIN, fallback_day=dt.date(2024, 1, 9))
    assert digest.date == dt.date(2024, 1, 9)
    assert digest.papers[0].date == dt.date(2024, 1, 9)


def test_an_empty_but_valid_feed_is_an_empty_digest() -> None:
    feed = b'<rss version="2.0"><channel><title>quiet</title></channel></rss>'
    digest = parse_feed(feed, origin=ORIGIN, fallback_day=dt.date(2024, 1, 9))
    assert digest.papers == ()


def test_a_recoverable_malformed_feed_keeps_its_entries() -> None:
    broken = RSS.replace(b"</channel>\n</rss>", b"<unclosed></channel>")
    digest = parse_feed(broken, origin=ORIGIN)
    assert len(digest.papers) == 3


def test_relative_links_resolve_against_the_origin() -> None:
    feed = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>Rel</title><link>/papers/2403.00004</link></item></channel></rss>"""
    digest = parse_feed(feed, origin="https://huggingface.co/feed.xml")
    assert digest.papers[0].url == "https://huggingface.co/papers/2403.00004"
    assert digest.papers[0].arxiv_id == "2403.00004"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"hello, I am not a feed",
        b"<html><body><p>Service unavailable</p></body></html>",
        b'{"json": true}',
        b"\x00\xff\xfe garbage",
        b"/etc/passwd",
    ],
)
def test_a_body_that_is_no_feed_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match=ORIGIN):
        parse_feed(body, origin=ORIGIN)


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        (("https://arxiv.org/abs/2401.01234v3",), "2401.01234"),
        (("http://arxiv.org/pdf/2401.01234.pdf",), "2401.01234"),
        (("https://huggingface.co/papers/2312.06655",), "2312.06655"),
        (("oai:arXiv.org:2401.12345v1",), "2401.12345"),
        (("https://arxiv.org/abs/hep-th/9901001v2",), "hep-th/9901001"),
        (("https://example.org/x", None, "urn:x", "oai:arXiv.org:2402.00001"), "2402.00001"),
        (("https://example.org/2401.01234",), None),
        ((), None),
    ],
)
def test_extract_arxiv_id(candidates: tuple[str | None, ...], expected: str | None) -> None:
    assert extract_arxiv_id(*candidates) == expected


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>a</p><p>b</p>", "a b"),
        ("x<br/>y", "x y"),
        ("<b>bold</b> &amp; <i>it</i>", "bold & it"),
        ("<script>alert(1)</script>kept<style>p{}</style>", "kept"),
        ("a &lt; b", "a < b"),
        ("a <unclosed", "a <unclosed"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


async def test_fetch_feed_then_304(fake_source: FakeSource, session: aiohttp.ClientSession) -> None:
    url = fake_source.add_feed("papers.xml", RSS, "application/rss+xml")
    fetcher = make_fetcher(session)
    first = await fetch_feed(fetcher, url)
    assert first.status is SourceStatus.FETCHED
    assert first.digest is not None
    assert first.digest.origin == url
    assert len(first.digest.papers) == 3
    second = await fetch_feed(fetcher, url, first.validators)
    assert second.status is SourceStatus.NOT_MODIFIED
    assert second.validators == first.validators
    assert fake_source.requests[-1].headers["If-None-Match"] == first.validators.etag


async def test_fetch_feed_reports_a_bad_body(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_feed("broken.xml", b"<html>oops</html>", "text/html")
    with pytest.raises(ParseError, match=url):
        await fetch_feed(make_fetcher(session), url)
