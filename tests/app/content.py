"""Synthetic digests written for these tests (never corpus text): markdown in the
daily_papers_ko layout and HF daily_papers API items, with titles the tests look for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Entry:
    arxiv_id: str
    title: str
    votes: int


MARKDOWN_PAPERS = (
    Entry("2501.00101", "Lanterns for Long Context Retrieval", 31),
    Entry("2501.00102", "Pocket Diffusion on Wristwatches", 12),
    Entry("2501.00103", "Counting Clouds with Sparse Attention", 4),
)
HF_PAPERS = (
    Entry("2501.00201", "Gentle Gradient Gardens", 57),
    Entry("2501.00202", "Meadow Models for Tabular Weather", 8),
)
LATE_PAPER = Entry("2501.00104", "A Late Arrival in the Digest", 2)


def markdown_digest(day: dt.date, entries: tuple[Entry, ...] = MARKDOWN_PAPERS) -> str:
    parts = [f"## Daily Papers ({day.isoformat()})", ""]
    for entry in entries:
        parts += [
            f"### [{entry.title}](https://arxiv.org/abs/{entry.arxiv_id})",
            "",
            f"![](https://example.org/thumbs/{entry.arxiv_id}.png)",
            "",
            f"Vote: {entry.votes}",
            "",
            "Authors: Ada Example, Bo Sample",
            "",
            f"- ***What's New***: A synthetic finding about {entry.title.lower()}.",
            "- **Technical Details**: Written for the run tests.",
            "",
        ]
    return "\n".join(parts)


def hf_items(day: dt.date, entries: tuple[Entry, ...] = HF_PAPERS) -> list[dict[str, Any]]:
    submitted = f"{day.isoformat()}T08:00:00.000Z"
    return [
        {
            "paper": {
                "id": entry.arxiv_id,
                "title": entry.title,
                "upvotes": entry.votes,
                "summary": f"We study {entry.title.lower()}. The results are synthetic.",
                "authors": [{"_id": "a1", "name": "Ada Example", "hidden": False}],
                "submittedOnDailyAt": submitted,
            },
            "title": entry.title,
            "numComments": 0,
        }
        for entry in entries
    ]


def with_votes(entries: tuple[Entry, ...], votes: int) -> tuple[Entry, ...]:
    return tuple(Entry(e.arxiv_id, e.title, votes) for e in entries)
