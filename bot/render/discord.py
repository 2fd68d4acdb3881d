"""Digest and paper posts as Discord create-message bodies (content, embeds, allowed_mentions).

One embed per paper; embeds are packed into as few messages as the 10-embed and 6,000-char
per-message caps allow. Bots can't set `embed.video`, so a video paper carries its .mp4
link in `content` (clients turn it into a player) and ends its message, which keeps the
player right under the paper's card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.models import Digest, Paper, Platform
from bot.render.facts import FOLLOWING_BUDGET, PaperFacts, paper_facts
from bot.render.forum import forum_post, tag_names
from bot.render.labels import Labels
from bot.render.limits import DiscordLimits
from bot.render.markup import discord_link, discord_markdown, escape_discord_markdown
from bot.render.message import MessageRole, RenderedMessage
from bot.render.options import RenderOptions
from bot.render.text import fit, format_authors

EMBED_COLOR = 0xFFD21E
VIDEO_MARK = "🎬"
ALERT_MARK = "🔥"
VOTE_MARK = "👍"
LINK_SEPARATOR = " · "
VOTES_WIDTH = 7
"""Characters a paper's vote count is counted as when papers are packed into messages,
whatever it shows: the packing then never depends on the counts, so a posted digest whose
counts grow re-renders to the same messages, each edited in place (live cards)."""

Embed = dict[str, Any]


def _no_mentions() -> dict[str, list[str]]:
    return {"parse": []}


def embed_length(embed: Embed) -> int:
    """What Discord counts toward the 6,000-character total of a message."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", ""))
    total += len(embed.get("author", {}).get("name", ""))
    for item in embed.get("fields", []):
        total += len(item["name"]) + len(item["value"])
    return total


def packing_length(embed: Embed, facts: PaperFacts) -> int:
    """The embed's length with its vote count as VOTES_WIDTH characters: at least what
    Discord counts (for counts of up to seven digits), and the same for any count."""
    return embed_length(embed) - len(facts.votes) + max(VOTES_WIDTH, len(facts.votes))


def _links_value(facts: PaperFacts) -> str:
    """As many links as fit in one field value, in order of usefulness."""
    parts = [discord_link(url, label) for label, url in facts.links]
    while parts and len(LINK_SEPARATOR.join(parts)) > DiscordLimits.FIELD_VALUE:
        parts.pop()
    return LINK_SEPARATOR.join(parts)


def _paper_embed(paper: Paper, facts: PaperFacts, labels: Labels, options: RenderOptions) -> Embed:
    fields = [{"name": labels.votes, "value": f"{VOTE_MARK} {facts.votes}", "inline": True}]
    following = fit(facts.following, FOLLOWING_BUDGET, escape_discord_markdown)
    if following:
        fields.append({"name": labels.following, "value": following, "inline": True})
    authors = ""
    if options.show_authors:
        authors = format_authors(
            paper.authors,
            truncated_at_source=paper.authors_truncated,
            max_names=options.max_authors,
            limit=DiscordLimits.FIELD_VALUE,
            more=labels.authors_suffix,
            render=escape_discord_markdown,
        )
    if authors:
        fields.append({"name": labels.authors, "value": authors, "inline": False})
    links = _links_value(facts)
    if links:
        fields.append({"name": labels.links, "value": links, "inline": False})
    title = fit(facts.title, DiscordLimits.EMBED_TITLE, escape_discord_markdown) or labels.untitled
    footer = {"text": f"{labels.source(paper.source)} · {paper.date.isoformat()}"}
    used = embed_length({"title": title, "fields": fields, "footer": footer})
    room = min(DiscordLimits.EMBED_DESCRIPTION, DiscordLimits.EMBED_TOTAL - used)
    description = fit(facts.summary, options.summary_budget(room), discord_markdown)
    embed: Embed = {"title": title}
    if facts.link:
        embed["url"] = facts.link
    if description.strip():
        embed["description"] = description
    embed |= {"color": EMBED_COLOR, "fields": fields, "footer": footer}
    if facts.image:
        embed["image"] = {"url": facts.image}
    return embed


def _video_content(facts: PaperFacts) -> str:
    if facts.video is None:
        return ""
    content = f"{VIDEO_MARK} {facts.video}"
    return content if len(content) <= DiscordLimits.CONTENT else ""


def _header_embed(digest: Digest, papers: Sequence[Paper], labels: Labels) -> Embed:
    lines = [f"**{labels.count(len(papers), len(digest.papers))}**"]
    if not papers:
        lines.append(labels.no_papers)
    lines.append(discord_link(digest.day_url, labels.day_page))
    return {
        "title": labels.heading(digest.date),
        "url": digest.day_url,
        "description": "\n".join(lines),
        "color": EMBED_COLOR,
        "footer": {"text": labels.source(digest.source)},
    }


@dataclass
class _Batch:
    """One message being filled: embeds, the video link if its last paper has one."""

    embeds: list[Embed] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    content: str = ""
    has_header: bool = False
    length: int = 0

    def room_for(self, length: int) -> bool:
        """Whether an embed packed as `length` characters fits."""
        return (
            len(self.embeds) < DiscordLimits.EMBEDS_PER_MESSAGE
            and self.length + length <= DiscordLimits.EMBED_TOTAL
        )

    def add(self, embed: Embed, key: str | None, length: int) -> None:
        self.embeds.append(embed)
        self.length += length
        if key is None:
            self.has_header = True
        else:
            self.keys.append(key)


def _body(content: str, embeds: list[Embed]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if content:
        body["content"] = content
    body["embeds"] = embeds
    body["allowed_mentions"] = _no_mentions()
    return body


def _message(batch: _Batch, date: str, part: int, parts: int) -> RenderedMessage:
    return RenderedMessage(
        platform=Platform.DISCORD,
        role=MessageRole.HEADER if batch.has_header else MessageRole.PAPER,
        body=_body(batch.content, batch.embeds),
        paper_key=batch.keys[0] if len(batch.keys) == 1 else None,
        meta={"date": date, "paper_keys": "\n".join(batch.keys), "part": f"{part}/{parts}"},
    )


def render_discord_digest(
    digest: Digest,
    papers: Sequence[Paper],
    *,
    options: RenderOptions | None = None,
) -> list[RenderedMessage]:
    """The header and the given papers (already selected and ordered) as Discord messages.

    `meta["paper_keys"]` lists (newline-separated) the papers each message carries, as one
    message may carry up to ten; `paper_key` is set when it carries exactly one.
    """
    options = options or RenderOptions()
    labels = options.labels(digest.language)
    batches = [_Batch()]
    header = _header_embed(digest, papers, labels)
    batches[0].add(header, None, embed_length(header))
    for paper in papers:
        facts = paper_facts(paper, labels, options)
        embed = _paper_embed(paper, facts, labels, options)
        length = packing_length(embed, facts)
        if not batches[-1].room_for(length) or batches[-1].content:
            batches.append(_Batch())
        batches[-1].add(embed, paper.key, length)
        batches[-1].content = _video_content(facts)
    date = digest.date.isoformat()
    messages = [_message(b, date, i, len(batches)) for i, b in enumerate(batches, start=1)]
    if not options.discord_forum:
        return messages
    language = options.locale or digest.language
    tags = tag_names(language, options.forum_tags)
    return forum_post(messages, labels.heading(digest.date), tags)


def render_discord_paper(
    paper: Paper,
    *,
    options: RenderOptions | None = None,
    role: MessageRole = MessageRole.PAPER,
    intro: str = "",
) -> RenderedMessage:
    """One paper's card (the /paper command, alerts). `intro` is trusted text of ours."""
    options = options or RenderOptions()
    labels = options.labels(paper.language)
    facts = paper_facts(paper, labels, options)
    lines = [line for line in (intro, _video_content(facts)) if line]
    while len("\n".join(lines)) > DiscordLimits.CONTENT:
        lines.pop()
    content = "\n".join(lines)
    return RenderedMessage(
        platform=Platform.DISCORD,
        role=role,
        body=_body(content, [_paper_embed(paper, facts, labels, options)]),
        paper_key=paper.key,
        meta={"date": paper.date.isoformat(), "paper_keys": paper.key},
    )


def render_discord_alert(
    paper: Paper,
    threshold: int,
    *,
    options: RenderOptions | None = None,
) -> RenderedMessage:
    """ "Paper X crossed N votes": a one-line notice above the paper's card; in a forum, a
    forum post of its own titled with the paper."""
    options = options or RenderOptions()
    labels = options.labels(paper.language)
    facts = paper_facts(paper, labels, options)
    notice = labels.alert.format(threshold=threshold, votes=facts.votes)
    room = DiscordLimits.CONTENT // 2 - len(notice)
    title = fit(facts.title, room, escape_discord_markdown)
    intro = f"{ALERT_MARK} **{title}** {notice}" if title else f"{ALERT_MARK} {notice}"
    message = render_discord_paper(paper, options=options, role=MessageRole.ALERT, intro=intro)
    if not options.discord_forum:
        return message
    tags = tag_names(options.locale or paper.language, options.forum_tags)
    [opening] = forum_post([message], f"{ALERT_MARK} {facts.title}", tags)
    return opening
