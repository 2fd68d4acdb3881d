"""Synthetic digests written for these tests (never corpus text): an English day, a Korean
day with the bold-label bullet style and a video, and a hostile day full of markup and
mention syntax."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.models import Digest, Media, Paper, SourceKind

DAY = dt.date(2024, 3, 14)


def paper(**changes: object) -> Paper:
    """A plain English paper; keyword arguments override any field."""
    base = Paper(
        title="Sparse Mixtures of Tiny Experts for Edge Devices",
        url="https://arxiv.org/abs/2403.01234",
        date=DAY,
        source=SourceKind.MARKDOWN,
        language="en",
        arxiv_id="2403.01234",
        votes=42,
        authors=("Ada Park", "Ben Ortiz", "Chloe Wu"),
        media=Media.from_url("https://example.org/thumbs/2403.01234.png"),
        bullets=(
            "The authors route each token to two of sixty-four tiny experts.",
            "Latency on a phone drops by 38% at equal accuracy.",
        ),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def english_digest() -> Digest:
    papers = (
        paper(),
        paper(
            title="Counting Sheep: A Benchmark for Numerical Sleep Reasoning",
            url="https://arxiv.org/abs/2403.05555",
            arxiv_id="2403.05555",
            votes=7,
            authors=tuple(f"Researcher {n}" for n in range(1, 13)),
            media=None,
            bullets=("A benchmark of 12k counting puzzles.",),
            github_url="https://github.com/example/counting-sheep",
            project_url="https://example.org/sheep",
        ),
        paper(
            title="A Paper Nobody Voted On",
            url="https://arxiv.org/abs/2403.07777",
            arxiv_id="2403.07777",
            votes=None,
            authors=(),
            media=None,
            bullets=(),
            abstract="We study what happens when the vote line says '-'.\n\nThe answer: little.",
        ),
    )
    return Digest(date=DAY, source=SourceKind.MARKDOWN, papers=papers, language="en")


def korean_digest() -> Digest:
    papers = (
        paper(
            title="한국어 대규모 언어 모델의 추론 능력 평가",
            url="https://arxiv.org/abs/2403.02222",
            arxiv_id="2403.02222",
            language="ko",
            votes=19,
            authors=("김하늘", "이도윤", "박서준", "최지우", "정민서", "강예린", "조은우"),
            authors_truncated=True,
            media=Media.from_url("https://cdn.example.org/videos/2403.02222.mp4"),
            bullets=(
                "***What's New***: 한국어 추론 벤치마크 KoReason을 새로 제안합니다.",
                "**Technical Details**: 문항 3,000개를 *수작업*으로 검수했습니다.",
                "***Performance Highlights***: 최고 모델도 정답률 61%에 그쳤습니다.",
            ),
        ),
        paper(
            title="그림 한 장으로 만드는 3D 장면",
            url="https://arxiv.org/abs/2403.03333",
            arxiv_id="2403.03333",
            language="ko",
            votes=19,
            authors=("한지민",),
            media=Media.from_url("https://example.org/figs/scene.svg"),
            bullets=(
                "단일 이미지에서 3D 장면을 복원합니다. 자세한 내용은 [프로젝트](https://example.org/3d)에서.",
            ),
        ),
    )
    return Digest(date=DAY, source=SourceKind.MARKDOWN, papers=papers, language="ko")


def hostile_digest() -> Digest:
    """Mentions, links and layout markup in every untrusted field; junk URL fields."""
    papers = (
        paper(
            title="@everyone <!channel> <@U123> <@&456> **Bold** _claim_ [click](javascript:x)",
            url="https://arxiv.org/abs/2403.09999",
            arxiv_id="2403.09999",
            votes=3,
            authors=("<!here>", "@here", "*Star* Author", "A & B <script>"),
            media=Media.from_url("javascript:alert(1)"),
            bullets=(
                "Ping <!subteam^S1> and <#C42> and @everyone; [bad](javascript:alert(1)).",
                "# not a heading > not a quote ``` fence",
            ),
            source=SourceKind.FEED,
            github_url="ftp://example.org/repo",
            project_url="/relative/page",
        ),
        paper(
            title="`Code` title > see <https://evil.example|arXiv> https://evil.example/t",
            url="https://arxiv.org/abs/2403.08888",
            arxiv_id="2403.08888",
            votes=2,
            authors=("# Heading Author", "> Quote Author", "`Code` Author"),
            media=None,
            bullets=(),
            abstract=(
                "# A heading\n\n-# subtext\n\n> a quote\n\n- a list item\n\n1. a numbered item"
                "\n\n```py fenced``` and `inline` code\n\n"
                "[Official code](https://evil.example/phish) ![](https://evil.example/p.png)"
            ),
            source=SourceKind.FEED,
        ),
    )
    return Digest(date=DAY, source=SourceKind.FEED, papers=papers, language="en")


SAMPLES = {
    "english": english_digest,
    "korean": korean_digest,
    "hostile": hostile_digest,
}
