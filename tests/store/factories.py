"""Synthetic papers and digests for store tests (never corpus text)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.models import Digest, Media, Paper, SourceKind

DAY = dt.date(2024, 5, 6)


def paper(
    arxiv_id: str | None = "2405.00001",
    *,
    title: str = "Sparse Mixtures of Gated Experts for Retrieval",
    date: dt.date = DAY,
    source: SourceKind = SourceKind.MARKDOWN,
    language: str = "ko",
    votes: int | None = 10,
    **extra: Any,
) -> Paper:
    fields: dict[str, Any] = {
        "authors": ("Ada Quill", "Bo Ramsey"),
        "bullets": ("이 논문은 희소 전문가 혼합 모델을 제안합니다.",),
        "media": Media.from_url("https://example.org/thumb.png"),
    }
    fields.update(extra)
    url = f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else "https://example.org/paper"
    return Paper(
        title=title,
        url=url,
        date=date,
        source=source,
        language=language,
        arxiv_id=arxiv_id,
        votes=votes,
        **fields,
    )


def digest(*papers: Paper, date: dt.date = DAY, source: SourceKind = SourceKind.MARKDOWN) -> Digest:
    language = papers[0].language if papers else "ko"
    return Digest(date=date, source=source, papers=papers, language=language)
