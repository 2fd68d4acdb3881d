"""The /paper answer on both platforms: a hostile archive paper as the card and as the
runner-up lines stays text (no link, mention or markup we did not put there), and the
whole reply keeps every platform limit."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.adapters import discord_commands, slack_commands
from bot.commands.lookup import CARD_SUMMARY_CHARS, paper_line
from bot.commands.replies import Line, Reply, bold
from bot.models import Media, Paper
from bot.render.options import RenderOptions
from bot.store.rows import StoredPaper, Summary
from tests.render.hostile import hostile_papers, paper_urls
from tests.render.samples import paper as plain_paper
from tests.render.validators import (
    discord_markup_violations,
    discord_message_violations,
    slack_markup_violations,
    slack_message_violations,
)


def stored(paper: Paper, number: int) -> StoredPaper:
    """The paper as the archive hands it to /paper."""
    return StoredPaper(
        id=number,
        key=paper.key,
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        url=paper.url,
        authors=paper.authors,
        authors_truncated=paper.authors_truncated,
        media=paper.media,
        github_url=paper.github_url,
        project_url=paper.project_url,
        keywords=paper.keywords,
        first_seen=paper.date,
        last_seen=paper.date,
        votes=paper.votes,
        summaries=(Summary(paper.source, paper.language, paper.bullets, paper.abstract),),
    )


def paper_reply(best: Paper, others: list[Paper]) -> Reply:
    """What `lookup.paper` answers for these hits."""
    lines: list[Line] = []
    if others:
        lines.append((bold("Other matches:"),))
        lines.extend(paper_line(n, stored(p, n)) for n, p in enumerate(others, 2))
    return Reply(
        tuple(lines),
        card=stored(best, 1).to_paper(),
        card_options=RenderOptions(summary_limit=CARD_SUMMARY_CHARS),
    )


def discord_body(reply: Reply) -> dict[str, Any]:
    content, embeds = discord_commands.reply_body(reply)
    body: dict[str, Any] = {"embeds": [embed.to_dict() for embed in embeds]}
    if content:
        body["content"] = content
    # The adapter sends AllowedMentions.none(), which discord.py writes as this.
    body["allowed_mentions"] = {"parse": []}
    return body


LONG_TITLE = "@everyone ` > # [x](https://evil.example) " * 200
LONG_BULLET = "![i](https://evil.example/i.png) &gt; `@here` " * 80
FULL_VIDEO_LINK = Media.from_url("https://e.org/" + "v" * 1977 + ".mp4")
"""Its "🎬 <url>" line fills Discord's 2,000 characters of content but one."""


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile_papers(), st.lists(hostile_papers(), max_size=4))
@example(plain_paper(title=LONG_TITLE, bullets=(LONG_BULLET,) * 6), [plain_paper()] * 4)
@example(plain_paper(media=FULL_VIDEO_LINK), [plain_paper()] * 4)
def test_paper_reply_is_inert_and_within_limits(best: Paper, others: list[Paper]) -> None:
    reply = paper_reply(best, others)
    ours = paper_urls(best).union(*(paper_urls(other) for other in others))

    discord = discord_body(reply)
    assert discord_message_violations(discord) == []
    assert discord_markup_violations(discord, ours) == []

    slack = slack_commands.reply_body(reply)
    assert slack_message_violations(slack) == []
    assert slack_markup_violations(slack, ours) == []


def test_lines_beside_a_card_get_what_the_card_leaves_of_the_slack_total() -> None:
    """A card that takes the whole 12,000 of block text leaves no room for lines."""
    card = plain_paper(bullets=tuple("A long summary bullet, said again. " * 80 for _ in range(8)))
    lines = tuple(paper_line(n, stored(plain_paper(), n)) for n in range(2, 6))
    reply = Reply(((bold("Other matches:"),), *lines), card=card)

    body = slack_commands.reply_body(reply)

    assert slack_message_violations(body) == []
    assert "Other matches" not in str(body["blocks"])


def test_no_line_is_cut_when_nothing_fits_beside_the_card() -> None:
    """The card's video line leaves Discord's content no room: the lines go, whole."""
    lines = tuple(paper_line(n, stored(plain_paper(), n)) for n in range(2, 6))
    reply = Reply(((bold("Other matches:"),), *lines), card=plain_paper(media=FULL_VIDEO_LINK))

    content, _ = discord_commands.reply_body(reply)

    assert content == "🎬 " + FULL_VIDEO_LINK.url
