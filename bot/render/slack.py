"""Digest and paper posts as Slack chat.postMessage arguments (text, blocks, ...), no channel.

Per paper: a section with the linked title, the summary in mrkdwn sections, a context line
(votes, authors), a context line of links, and the thumbnail. Slack plays a video inline
only from the app's declared unfurl domains, so elsewhere a video paper shows its still
image and a "Watch video" link. Untrusted text goes through `slack_text`/`slack_mrkdwn`
(&, <, > escaped, no code, no quotes, links written out) and `link_names` is never set, so
nothing in a title can ping or link. Every budget is measured on the escaped text; an
alert's notice counts toward its message's total like any other block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.models import Digest, Paper, Platform
from bot.render.facts import FOLLOWING_BUDGET, PaperFacts, paper_facts
from bot.render.labels import Labels
from bot.render.limits import SlackLimits
from bot.render.markup import escape_slack, slack_link, slack_mrkdwn, slack_text
from bot.render.message import MessageRole, RenderedMessage
from bot.render.options import RenderOptions, SlackLayout
from bot.render.text import fit, fit_raw, format_authors, one_line
from bot.render.urls import host_matches, https_url

VOTE_MARK = "👍"
ALERT_MARK = "🔥"
HEADER_MARK = "📚"
LINK_SEPARATOR = " · "
PAPER_EVENT = "papers_bot_paper"
DIGEST_EVENT = "papers_bot_digest"
INDEX_TITLE = 300
"""Our own cap for a linked title (URL included) in the thread layout's index."""
AUTHORS_BUDGET = 1000
"""Our own cap, well under the 3,000 of a context element: a byline, not a census."""

Block = dict[str, Any]


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(texts: Sequence[str]) -> Block:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts]}


def block_text_length(blocks: Sequence[Block]) -> int:
    """All text of the blocks, as counted toward the ~12k per-message cap (alt texts and
    titles included, to stay on the safe side)."""
    total = 0
    for block in blocks:
        for key in ("text", "title"):
            value = block.get(key)
            if isinstance(value, dict):
                total += len(value.get("text", ""))
        total += len(block.get("alt_text", ""))
        for element in block.get("elements", []):
            total += len(element.get("text", "")) + len(element.get("alt_text", ""))
    return total


def _title_link(facts: PaperFacts, limit: int) -> str:
    """The escaped title, linked to the paper when there is a link, within `limit`."""
    link = facts.link
    if link is None:
        return fit(facts.title, limit, slack_text)
    return fit(facts.title, limit, lambda title: slack_link(link, title))


def _sections(lines: Sequence[str]) -> list[Block]:
    """Rendered lines packed into as few sections as SECTION_TEXT allows."""
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > SlackLimits.SECTION_TEXT:
            blocks.append(_section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(_section("\n".join(chunk)))
    return blocks


def _summary_lines(raw: str) -> list[str]:
    """Each raw line as mrkdwn, blank ones dropped: lines render independently."""
    return [line for line in (slack_mrkdwn(part) for part in raw.split("\n")) if line.strip()]


def _summary_blocks(summary: str, budget: int) -> list[Block]:
    """The summary in sections of at most SECTION_TEXT, `budget` code points in all,
    measured on the lines exactly as they are sent (a line longer than a section is cut
    on its own, which only shortens it)."""
    raw = fit_raw(summary, budget, lambda text: "\n".join(_summary_lines(text)))
    rendered = (fit(line, SlackLimits.SECTION_TEXT, slack_mrkdwn) for line in raw.split("\n"))
    return _sections([line for line in rendered if line.strip()])


def _media_blocks(facts: PaperFacts, options: RenderOptions) -> list[Block]:
    if facts.image is None:
        return []
    alt = fit(facts.title, SlackLimits.IMAGE_ALT_TEXT, lambda t: t)
    video = https_url(facts.video)
    if video and options.slack_video_domains and host_matches(video, options.slack_video_domains):
        return [
            {
                "type": "video",
                "alt_text": fit(facts.title, SlackLimits.VIDEO_ALT_TEXT, lambda t: t),
                "title": _plain(fit(facts.title, SlackLimits.VIDEO_TITLE, lambda t: t)),
                "thumbnail_url": facts.image,
                "video_url": video,
            }
        ]
    return [{"type": "image", "image_url": facts.image, "alt_text": alt}]


def _paper_blocks(
    paper: Paper, facts: PaperFacts, labels: Labels, options: RenderOptions, intro: str
) -> list[Block]:
    """The paper's blocks under an optional `intro` section; the summary gets what the
    others leave of the message's total."""
    head = [_section(intro)] if intro else []
    head.append(_section("*" + _title_link(facts, SlackLimits.SECTION_TEXT - 2) + "*"))
    byline = [f"{VOTE_MARK} *{escape_slack(labels.votes)}* {escape_slack(facts.votes)}"]
    following = fit(facts.following, FOLLOWING_BUDGET, slack_text)
    if following:
        byline.append(f"*{escape_slack(labels.following)}:* {following}")
    if options.show_authors:
        authors = format_authors(
            paper.authors,
            truncated_at_source=paper.authors_truncated,
            max_names=options.max_authors,
            limit=AUTHORS_BUDGET,
            more=labels.authors_suffix,
            render=slack_text,
        )
        if authors:
            byline.append(f"*{escape_slack(labels.authors)}:* {authors}")
    tail = [_context(byline)]
    links = [slack_link(url, label) for label, url in facts.links]
    while links and len(LINK_SEPARATOR.join(links)) > SlackLimits.CONTEXT_TEXT:
        links.pop()
    if links:
        tail.append(_context([LINK_SEPARATOR.join(links)]))
    tail.extend(_media_blocks(facts, options))
    room = SlackLimits.TOTAL_BLOCK_TEXT - block_text_length(head + tail)
    summary = _summary_blocks(facts.summary, options.summary_budget(room))
    summary = summary[: SlackLimits.BLOCKS - len(head) - len(tail)]
    return head + summary + tail


def _fallback(facts: PaperFacts, labels: Labels) -> str:
    """The notification text: title and votes, readable without blocks."""
    suffix = f" ({VOTE_MARK} {escape_slack(facts.votes)})"
    return fit(facts.title, SlackLimits.TEXT - len(suffix), slack_text) + suffix


def _body(
    text: str, blocks: list[Block], event_type: str, payload: dict[str, str]
) -> dict[str, Any]:
    return {
        "text": text,
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
        "metadata": {"event_type": event_type, "event_payload": payload},
    }


def render_slack_paper(
    paper: Paper,
    *,
    options: RenderOptions | None = None,
    in_thread: bool = False,
    role: MessageRole = MessageRole.PAPER,
    intro: str = "",
) -> RenderedMessage:
    """One paper's message (digest item, /paper reply, alert). `intro` is trusted mrkdwn."""
    options = options or RenderOptions()
    labels = options.labels(paper.language)
    facts = paper_facts(paper, labels, options)
    blocks = _paper_blocks(paper, facts, labels, options, intro)
    text = _fallback(facts, labels)
    if intro:
        text = fit(one_line(intro), SlackLimits.TEXT, lambda t: t)
    payload = {"date": paper.date.isoformat(), "paper_key": paper.key}
    return RenderedMessage(
        platform=Platform.SLACK,
        role=role,
        body=_body(text, blocks, PAPER_EVENT, payload),
        paper_key=paper.key,
        in_thread=in_thread,
        meta={"date": paper.date.isoformat(), "paper_keys": paper.key},
    )


def _index_blocks(papers: Sequence[Paper], labels: Labels, options: RenderOptions) -> list[Block]:
    """A numbered list of the papers in the thread, so the channel shows what's inside."""
    budget = SlackLimits.TOTAL_BLOCK_TEXT // 2
    lines: list[str] = []
    used = 0
    for number, paper in enumerate(papers, start=1):
        facts = paper_facts(paper, labels, options)
        votes = f" · {VOTE_MARK} {escape_slack(facts.votes)}"
        title = _title_link(facts, INDEX_TITLE)
        line = f"{number}. {title}{votes}"
        if used + len(line) > budget:
            lines.append(escape_slack(labels.more_papers.format(n=len(papers) - number + 1)))
            break
        lines.append(line)
        used += len(line) + 1
    return _sections(lines)


def _header_message(
    digest: Digest, papers: Sequence[Paper], labels: Labels, options: RenderOptions
) -> RenderedMessage:
    heading = fit(f"{HEADER_MARK} {labels.heading(digest.date)}", SlackLimits.HEADER_TEXT, str)
    count = labels.count(len(papers), len(digest.papers))
    summary = [f"*{escape_slack(count)}*", slack_link(digest.day_url, labels.day_page)]
    summary.append(escape_slack(labels.source(digest.source)))
    blocks: list[Block] = [
        {"type": "header", "text": _plain(heading)},
        _context([LINK_SEPARATOR.join(summary)]),
    ]
    if not papers:
        blocks.append(_section(escape_slack(labels.no_papers)))
    elif options.slack_layout is SlackLayout.THREAD:
        blocks.extend(_index_blocks(papers, labels, options))
    text = fit(f"{labels.heading(digest.date)}: {count}", SlackLimits.TEXT, escape_slack)
    payload = {"date": digest.date.isoformat(), "source": digest.source.value}
    return RenderedMessage(
        platform=Platform.SLACK,
        role=MessageRole.HEADER,
        body=_body(text, blocks, DIGEST_EVENT, payload),
        meta={"date": digest.date.isoformat(), "paper_keys": ""},
    )


def render_slack_digest(
    digest: Digest,
    papers: Sequence[Paper],
    *,
    options: RenderOptions | None = None,
) -> list[RenderedMessage]:
    """The header, then one message per given paper (already selected and ordered); in the
    thread layout the papers are `in_thread` replies to the header's returned ts."""
    options = options or RenderOptions()
    labels = options.labels(digest.language)
    in_thread = options.slack_layout is SlackLayout.THREAD
    messages = [_header_message(digest, papers, labels, options)]
    # Papers wear their digest's labels even if a paper's own language tag differs.
    paper_options = replace(options, locale=labels.locale)
    for paper in papers:
        messages.append(render_slack_paper(paper, options=paper_options, in_thread=in_thread))
    return messages


def render_slack_alert(
    paper: Paper,
    threshold: int,
    *,
    options: RenderOptions | None = None,
) -> RenderedMessage:
    """ "Paper X crossed N votes": a one-line notice above the paper's blocks."""
    options = options or RenderOptions()
    labels = options.labels(paper.language)
    facts = paper_facts(paper, labels, options)
    notice = escape_slack(labels.alert.format(threshold=threshold, votes=facts.votes))
    title = fit(facts.title, SlackLimits.SECTION_TEXT // 2, slack_text)
    intro = f"{ALERT_MARK} *{title}* {notice}"
    return render_slack_paper(paper, options=options, role=MessageRole.ALERT, intro=intro)
