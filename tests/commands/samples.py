"""Synthetic archive for command tests (never corpus text): two days from two sources,
one hostile title, and a fixed clock so "next post" answers are exact."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.models import Digest, Media, Paper, SourceKind
from bot.store import Store

DAY1 = dt.date(2024, 5, 6)
DAY2 = dt.date(2024, 5, 7)
NOW = dt.datetime(2024, 5, 7, 12, 0, tzinfo=dt.UTC)
HOSTILE_TITLE = "@everyone <@123456789012345678> **Bold** <!channel> Title"
MANAGEMENT = (
    "subscribe",
    "unsubscribe",
    "subscription",
    "pause",
    "resume",
    "follow",
    "unfollow",
    "digest",
)
"""The commands only managers may run, written out here rather than read from the spec."""


def _paper(
    arxiv_id: str,
    title: str,
    votes: int | None,
    *,
    date: dt.date,
    source: SourceKind,
    language: str,
    bullets: tuple[str, ...] = (),
    abstract: str | None = None,
    media: str | None = "https://example.org/figure.png",
) -> Paper:
    return Paper(
        title=title,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        date=date,
        source=source,
        language=language,
        arxiv_id=arxiv_id,
        votes=votes,
        authors=("Ada Quill", "Bo Ramsey"),
        bullets=bullets,
        abstract=abstract,
        media=Media.from_url(media) if media else None,
    )


def day1() -> Digest:
    md, ko = SourceKind.MARKDOWN, "ko"
    papers = (
        _paper(
            "2405.00001",
            "Sparse Mixtures of Gated Experts for Retrieval",
            42,
            date=DAY1,
            source=md,
            language=ko,
            bullets=("이 논문은 희소 전문가 혼합 모델을 제안합니다.",),
        ),
        _paper(
            "2405.00002",
            "Diffusion Transformers at Scale",
            17,
            date=DAY1,
            source=md,
            language=ko,
            bullets=("확산 트랜스포머를 대규모로 학습합니다.",),
        ),
        _paper(
            "2405.00003",
            "Agents That Plan With Language Models",
            8,
            date=DAY1,
            source=md,
            language=ko,
            bullets=("언어 모델로 계획하는 에이전트.",),
        ),
        _paper(
            "2405.00004",
            "A Study of Tokenizers",
            None,
            date=DAY1,
            source=md,
            language=ko,
            bullets=("토크나이저 연구.",),
        ),
    )
    return Digest(date=DAY1, source=md, papers=papers, language=ko)


def day2() -> Digest:
    hf, en = SourceKind.HF, "en"
    papers = (
        _paper(
            "2405.01001",
            "Large Language Model Agents for Code Repair",
            120,
            date=DAY2,
            source=hf,
            language=en,
            abstract="We study agents built on large language models that repair code.",
        ),
        _paper(
            "2405.01002",
            "Video Diffusion with Temporal Attention",
            55,
            date=DAY2,
            source=hf,
            language=en,
            abstract="A diffusion model for video with temporal attention layers.",
            media="https://example.org/clip.mp4",
        ),
        _paper(
            "2405.01003",
            HOSTILE_TITLE,
            3,
            date=DAY2,
            source=hf,
            language=en,
            abstract="Pings <@123> and <!here> and @here; a [link](javascript:alert(1)).",
        ),
    )
    return Digest(date=DAY2, source=hf, papers=papers, language=en)


async def seed(store: Store) -> None:
    for day in (day1(), day2()):
        await store.writer.save(day, now=NOW)


def database_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'commands.db'}"
