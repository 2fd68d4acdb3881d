"""The "Following" mark a followed paper wears in a channel's post: on the Discord card a
field beside the votes, on Slack an element of the byline; the names escaped and cut to
their budget; nothing at all on a paper no follow matched."""

from __future__ import annotations

import dataclasses

from bot.models import Digest, Paper
from bot.render.discord import render_discord_digest
from bot.render.facts import FOLLOWING_BUDGET
from bot.render.options import RenderOptions
from bot.render.slack import render_slack_digest
from tests.render.samples import english_digest
from tests.render.validators import discord_message_violations, slack_message_violations


def _marked(*names: str) -> tuple[Digest, tuple[Paper, ...]]:
    """The sample day with its first paper marked as following `names`."""
    digest = english_digest()
    first, *rest = digest.papers
    papers = (dataclasses.replace(first, following=names), *rest)
    return digest, papers


def test_discord_card_carries_the_followed_names_escaped() -> None:
    digest, papers = _marked("Zoë *Hartmann*", "@everyone")
    messages = render_discord_digest(digest, papers, options=RenderOptions())
    embeds = [embed for message in messages for embed in message.body["embeds"]]
    fields = [{f["name"]: f["value"] for f in embed.get("fields", [])} for embed in embeds[1:]]
    assert fields[0]["Following"] == "Zoë \\*Hartmann\\*, @\u200beveryone"
    assert all("Following" not in found for found in fields[1:])
    for message in messages:
        assert discord_message_violations(message.body) == []


def test_slack_byline_carries_the_followed_names_escaped() -> None:
    digest, papers = _marked("Kim <!channel> Min-jun")
    messages = render_slack_digest(digest, papers, options=RenderOptions(locale="ko"))
    contexts = [
        element["text"]
        for block in messages[1].body["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
    ]
    assert "*팔로우:* Kim &lt;!channel&gt; Min-jun" in contexts
    assert not any("팔로우" in str(m.body["blocks"]) for m in messages[2:])
    for message in messages:
        assert slack_message_violations(message.body) == []


def test_many_long_names_are_cut_to_the_budget() -> None:
    digest, papers = _marked(*(f"{'Name' * 24} {n}" for n in range(50)))
    [discord, *_] = [
        embed["fields"]
        for message in render_discord_digest(digest, papers)
        for embed in message.body["embeds"][1:2]
    ]
    shown = {f["name"]: f["value"] for f in discord}["Following"]
    assert len(shown) <= FOLLOWING_BUDGET
    assert shown.endswith("…")
    slack = render_slack_digest(digest, papers)[1].body["blocks"]
    [byline] = [b for b in slack if b["type"] == "context" and "Following" in str(b)]
    [element] = [e["text"] for e in byline["elements"] if "Following" in e["text"]]
    assert len(element) <= FOLLOWING_BUDGET + len("*Following:* ")
