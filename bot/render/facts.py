"""What both platforms show about a paper, decided once: cleaned text, checked links, the
picture and the video, so Discord and Slack posts of one paper never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import HF_SOCIAL_THUMBNAIL_URL, Paper
from bot.render.labels import Labels
from bot.render.options import RenderOptions
from bot.render.text import clean_text, one_line
from bot.render.urls import is_displayable_image, safe_url

BULLET = "•"
FOLLOWING_BUDGET = 200
"""Our own cap on the "Following" line, escaped: a reason, not a list of every follow."""


@dataclass(frozen=True, slots=True)
class PaperFacts:
    title: str
    """One line, never empty (a placeholder label when the source had none)."""
    link: str | None
    """Where the title points: the Hugging Face page when the arXiv id is known."""
    votes: str
    links: tuple[tuple[str, str], ...]
    """(label, safe URL) pairs, each URL once."""
    image: str | None
    """A still image clients can display, also for video papers."""
    video: str | None
    summary: str
    """Raw markdown, one line per bullet ("• text") or paragraph; platform renderers
    convert and size it."""
    following: str = ""
    """The followed names the paper matched in this channel ("A, B"), raw text for the
    renderers to escape and cut to `FOLLOWING_BUDGET`; empty when none."""


def _summary_lines(paper: Paper) -> list[str]:
    bullets = [one_line(bullet) for bullet in paper.bullets]
    lines = [f"{BULLET} {bullet}" for bullet in bullets if bullet]
    if lines:
        return lines
    # Feeds and the HF API may carry only an abstract: show it as paragraphs.
    abstract = clean_text(paper.abstract or "")
    return [one_line(part) for part in abstract.split("\n\n") if part.strip()]


def _image(paper: Paper) -> str | None:
    for candidate in (
        paper.still_image_url,
        HF_SOCIAL_THUMBNAIL_URL.format(arxiv_id=paper.arxiv_id) if paper.arxiv_id else None,
    ):
        url = safe_url(candidate)
        if url is not None and is_displayable_image(url):
            return url
    return None


def _links(paper: Paper, labels: Labels, video: str | None) -> tuple[tuple[str, str], ...]:
    candidates = [
        ("arXiv", paper.arxiv_url),
        ("Hugging Face", paper.hf_url),
        ("PDF", paper.pdf_url),
        ("GitHub", paper.github_url),
        (labels.project_page, paper.project_url),
        (labels.paper_link, paper.url),
        (labels.watch_video, video),
    ]
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for label, raw in candidates:
        url = safe_url(raw)
        if url is None or url in seen:
            continue
        seen.add(url)
        out.append((label, url))
    return tuple(out)


def paper_facts(paper: Paper, labels: Labels, options: RenderOptions) -> PaperFacts:
    video = safe_url(paper.video_url)
    return PaperFacts(
        title=one_line(paper.title) or labels.untitled,
        link=safe_url(paper.hf_url) or safe_url(paper.url),
        votes=str(paper.votes) if paper.votes is not None else labels.votes_unknown,
        links=_links(paper, labels, video),
        image=_image(paper) if options.show_images else None,
        video=video,
        summary="\n".join(_summary_lines(paper)),
        following=", ".join(name for name in map(one_line, paper.following) if name),
    )
