"""Real digests served over HTTP come out exactly as they parse from disk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import aiohttp
import pytest

from bot.sources.dated import fetch_markdown_day
from bot.sources.files import load_digest_file
from tests.conftest import corpus_files
from tests.fakes.source import FakeSource
from tests.sources_fetch.helpers import make_fetcher

#: Every 10th file keeps this quick; the parser's own corpus test reads them all.
SAMPLE_STEP = 10


@pytest.mark.corpus
async def test_fetched_corpus_days_match_the_files(
    corpus_dir: Path, fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fake_source.digest_dir = corpus_dir
    fetcher = make_fetcher(session, max_body_bytes=4 * 1024 * 1024)
    sample = corpus_files()[::SAMPLE_STEP]
    assert sample
    for path in sample:
        rel = path.relative_to(corpus_dir)
        day = dt.date(int(rel.parts[0]), int(rel.parts[1]), int(rel.stem))
        result = await fetch_markdown_day(fetcher, fake_source.digest_template, day)
        assert result.digest is not None, path
        assert result.digest.papers == load_digest_file(path).papers, path
        again = await fetch_markdown_day(
            fetcher, fake_source.digest_template, day, result.validators
        )
        assert again.digest is None, path
