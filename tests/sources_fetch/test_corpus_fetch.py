"""Corpus digests served over HTTP come out exactly as they parse from disk."""

from __future__ import annotations

import datetime as dt

import aiohttp

from bot.sources.dated import fetch_markdown_day
from bot.sources.files import load_digest_file
from tests.conftest import DigestCorpus
from tests.fakes.source import FakeSource
from tests.sources_fetch.helpers import make_fetcher

#: About this many days keeps this quick; the parser's own corpus test reads them all.
SAMPLE_SIZE = 20


async def test_fetched_corpus_days_match_the_files(
    corpus: DigestCorpus, fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.digest_dir = corpus.root
    fetcher = make_fetcher(session, max_body_bytes=4 * 1024 * 1024)
    days = corpus.days
    sample = days[:: max(1, len(days) // SAMPLE_SIZE)]
    assert len(sample) >= min(corpus.min_days, SAMPLE_SIZE)
    for path in sample:
        rel = path.relative_to(corpus.root)
        day = dt.date(int(rel.parts[0]), int(rel.parts[1]), int(rel.stem))
        result = await fetch_markdown_day(fetcher, fake_source.digest_template, day)
        assert result.digest is not None, path
        assert result.digest.papers == load_digest_file(path).papers, path
        again = await fetch_markdown_day(
            fetcher, fake_source.digest_template, day, result.validators
        )
        assert again.digest is None, path
