"""The validator is the oracle for every other render test, so it must itself catch each
kind of bad payload, and accept a known-good one."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.render.validators import (
    discord_markup_violations,
    discord_message_violations,
    slack_markup_violations,
    slack_message_violations,
)


def good_discord() -> dict[str, Any]:
    return {
        "content": "🎬 https://cdn.example.org/v.mp4",
        "embeds": [
            {
                "title": "A paper",
                "url": "https://huggingface.co/papers/2401.00001",
                "description": "• one\n• [two](https://example.org/two)",
                "fields": [{"name": "Votes", "value": "👍 3", "inline": True}],
                "footer": {"text": "Hugging Face · 2024-01-01"},
                "image": {"url": "https://example.org/a.png"},
                "color": 0xFFD21E,
            }
        ],
        "allowed_mentions": {"parse": []},
    }


def good_slack() -> dict[str, Any]:
    return {
        "text": "A paper (👍 3)",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Daily <!channel>"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*<https://example.org/p?a=1&amp;b=2|A &lt;b&gt;>*",
                },
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "👍 3"}]},
            {"type": "image", "image_url": "https://example.org/a.png", "alt_text": "A paper"},
        ],
        "unfurl_links": False,
        "metadata": {"event_type": "papers_bot_paper", "event_payload": {"k": "v"}},
    }


def test_known_good_payloads_pass() -> None:
    assert discord_message_violations(good_discord()) == []
    assert slack_message_violations(good_slack()) == []


def _embed(**fields: Any) -> dict[str, Any]:
    return {"title": "t", **fields}


DISCORD_BAD = {
    "description 4097": lambda b: b["embeds"][0].update(description="x" * 4097),
    "title 257": lambda b: b["embeds"][0].update(title="x" * 257),
    "field value 1025": lambda b: b["embeds"][0]["fields"][0].update(value="x" * 1025),
    "field name empty": lambda b: b["embeds"][0]["fields"][0].update(name=" "),
    "26 fields": lambda b: b["embeds"][0].update(
        fields=[{"name": "n", "value": "v"} for _ in range(26)]
    ),
    "footer 2049": lambda b: b["embeds"][0].update(footer={"text": "x" * 2049}),
    "11 embeds": lambda b: b.update(embeds=[_embed() for _ in range(11)]),
    "6001 total": lambda b: b.update(
        embeds=[_embed(title="", description="x" * 3000), _embed(title="", description="x" * 3001)]
    ),
    "content 2001": lambda b: b.update(content="x" * 2001),
    "missing allowed_mentions": lambda b: b.pop("allowed_mentions"),
    "allowed_mentions parses users": lambda b: b.update(allowed_mentions={"parse": ["users"]}),
    "allowed_mentions lists a role": lambda b: b.update(
        allowed_mentions={"parse": [], "roles": ["1"]}
    ),
    "@everyone in content": lambda b: b.update(content="hi @everyone"),
    "@here in a title": lambda b: b["embeds"][0].update(title="@here look"),
    "user mention in description": lambda b: b["embeds"][0].update(description="<@12345>"),
    "role mention in field": lambda b: b["embeds"][0]["fields"][0].update(value="<@&99>"),
    "channel mention in footer": lambda b: b["embeds"][0].update(footer={"text": "<#42>"}),
    "javascript embed url": lambda b: b["embeds"][0].update(url="javascript:alert(1)"),
    "relative image url": lambda b: b["embeds"][0].update(image={"url": "/a.png"}),
    "javascript masked link": lambda b: b["embeds"][0].update(description="[x](javascript:y)"),
    "embed.video set": lambda b: b["embeds"][0].update(video={"url": "https://e.org/v.mp4"}),
    "empty message": lambda b: b.update(content="", embeds=[]),
    "empty embed": lambda b: b.update(embeds=[{}]),
    "tts": lambda b: b.update(tts=True),
    "long nonce": lambda b: b.update(nonce="n" * 26),
    "unknown key": lambda b: b.update(channel_id="1"),
    "color out of range": lambda b: b["embeds"][0].update(color=0x1000000),
    "non-http URL in content": lambda b: b.update(content="see file:///etc/passwd"),
}


@pytest.mark.parametrize("case", sorted(DISCORD_BAD))
def test_discord_validator_catches(case: str) -> None:
    body = copy.deepcopy(good_discord())
    DISCORD_BAD[case](body)
    assert discord_message_violations(body), case


def test_discord_total_counts_every_text_part_across_embeds() -> None:
    per_embed = {
        "title": "t" * 200,
        "description": "d" * 1000,
        "fields": [{"name": "n" * 100, "value": "v" * 100}],
        "footer": {"text": "f" * 100},
        "author": {"name": "a" * 100},
    }  # 1,600 each
    body = {"embeds": [per_embed] * 3, "allowed_mentions": {"parse": []}}
    assert discord_message_violations(body) == []
    body["embeds"] = [per_embed] * 4  # 6,400
    assert any("6000" in v for v in discord_message_violations(body))


SLACK_BAD = {
    "live <!channel> in section": lambda b: b["blocks"][1]["text"].update(text="<!channel> hi"),
    "live <!here> in text": lambda b: b.update(text="<!here> hi"),
    "live user mention in context": lambda b: b["blocks"][2]["elements"][0].update(text="<@U1>"),
    "live subteam": lambda b: b["blocks"][1]["text"].update(text="<!subteam^S1|@team>"),
    "javascript link": lambda b: b["blocks"][1]["text"].update(text="<javascript:x|click>"),
    "raw unbalanced <": lambda b: b["blocks"][1]["text"].update(text="a < b"),
    "missing text": lambda b: b.pop("text"),
    "empty text": lambda b: b.update(text=" "),
    "text 4001": lambda b: b.update(text="x" * 4001),
    "link_names": lambda b: b.update(link_names=True),
    "parse full": lambda b: b.update(parse="full"),
    "channel chosen": lambda b: b.update(channel="C1"),
    "51 blocks": lambda b: b.update(
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51
    ),
    "section 3001": lambda b: b["blocks"][1]["text"].update(text="x" * 3001),
    "empty section text": lambda b: b["blocks"][1]["text"].update(text=""),
    "header 151": lambda b: b["blocks"][0]["text"].update(text="x" * 151),
    "mrkdwn header": lambda b: b["blocks"][0].update(text={"type": "mrkdwn", "text": "h"}),
    "11 context elements": lambda b: b["blocks"][2].update(
        elements=[{"type": "mrkdwn", "text": "x"}] * 11
    ),
    "image without alt": lambda b: b["blocks"][3].pop("alt_text"),
    "alt 2001": lambda b: b["blocks"][3].update(alt_text="x" * 2001),
    "image url 3001": lambda b: b["blocks"][3].update(
        image_url="https://example.org/" + "a" * 2990 + ".png"
    ),
    "svg image": lambda b: b["blocks"][3].update(image_url="https://example.org/a.svg"),
    "relative image": lambda b: b["blocks"][3].update(image_url="/a.png"),
    "video over http": lambda b: b["blocks"].append(
        {
            "type": "video",
            "alt_text": "v",
            "title": {"type": "plain_text", "text": "v"},
            "thumbnail_url": "https://example.org/t.png",
            "video_url": "http://example.org/v",
        }
    ),
    "video title 200": lambda b: b["blocks"].append(
        {
            "type": "video",
            "alt_text": "v",
            "title": {"type": "plain_text", "text": "x" * 200},
            "thumbnail_url": "https://example.org/t.png",
            "video_url": "https://example.org/v",
        }
    ),
    "12001 block text": lambda b: b.update(
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}] * 4
        + [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}]
    ),
    "unknown block type": lambda b: b["blocks"].append({"type": "rich_text"}),
    "duplicate block ids": lambda b: b.update(
        blocks=[{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}]
    ),
    "bad metadata": lambda b: b.update(metadata={"event_type": ""}),
}


@pytest.mark.parametrize("case", sorted(SLACK_BAD))
def test_slack_validator_catches(case: str) -> None:
    body = copy.deepcopy(good_slack())
    SLACK_BAD[case](body)
    assert slack_message_violations(body), case


def test_slack_plain_text_may_hold_angle_brackets() -> None:
    """plain_text is never parsed for mentions: the header of the good payload says so."""
    body = good_slack()
    assert "<!channel>" in body["blocks"][0]["text"]["text"]
    assert slack_message_violations(body) == []


def test_discord_escaped_brackets_are_text_but_an_escaped_backslash_is_not() -> None:
    body = good_discord()
    body["embeds"][0]["description"] = "\\[x\\](javascript:y)"
    assert discord_message_violations(body) == []
    body["embeds"][0]["description"] = "[x\\\\](javascript:y)"
    assert discord_message_violations(body)


OUR_URLS = (
    "https://huggingface.co/papers/2401.00001",
    "https://example.org/two",
    "https://example.org/p?a=1&b=2",
)


def test_known_good_payloads_have_no_foreign_markup() -> None:
    assert discord_markup_violations(good_discord(), OUR_URLS) == []
    assert slack_markup_violations(good_slack(), OUR_URLS) == []


def _description(text: str) -> Callable[[dict[str, Any]], None]:
    return lambda b: b["embeds"][0].update(description=text)


DISCORD_MARKUP_BAD: dict[str, Callable[[dict[str, Any]], None]] = {
    "masked link to a stranger": _description("• [arXiv](https://evil.example/x)"),
    "masked link in a field": lambda b: b["embeds"][0]["fields"][0].update(
        value="[Votes](https://evil.example/)"
    ),
    "masked link after an escaped backslash": _description("\\\\[x](https://evil.example)"),
    "heading": _description("• one\n# Big news"),
    "small heading": _description("### three"),
    "subtext": _description("-# small print"),
    "block quote": _description("> quoted"),
    "multi-line quote": _description(">>> all of it"),
    "dash list": _description("- item"),
    "star list": _description("* item"),
    "ordered list": _description("  12. item"),
    "inline code": _description("a `b` c"),
    "code fence": _description("```py\nx```"),
    "heading in content": lambda b: b.update(content="## loud"),
}


@pytest.mark.parametrize("case", sorted(DISCORD_MARKUP_BAD))
def test_discord_markup_validator_catches(case: str) -> None:
    body = copy.deepcopy(good_discord())
    DISCORD_MARKUP_BAD[case](body)
    assert discord_markup_violations(body, OUR_URLS), case


@pytest.mark.parametrize(
    "text",
    [
        "\\[x\\](https://evil.example)",
        "\\# not a heading",
        "-\\# not subtext",
        "\\> not a quote",
        "\\- not a list",
        "1\\. not a list",
        "\\`not code\\`",
        "#hashtag, >arrow, -1.5 dB, 2024 results",
        "[two](https://example.org/two) and [two](<https://example.org/two>)",
        "see https://evil.example/ (a bare URL shows where it leads)",
    ],
)
def test_discord_markup_validator_accepts_escaped_text(text: str) -> None:
    body = good_discord()
    body["embeds"][0]["description"] = text
    assert discord_markup_violations(body, OUR_URLS) == []


def _section(text: str) -> Callable[[dict[str, Any]], None]:
    return lambda b: b["blocks"][1]["text"].update(text=text)


SLACK_MARKUP_BAD: dict[str, Callable[[dict[str, Any]], None]] = {
    "link to a stranger": _section("*<https://evil.example/|A paper>*"),
    "bare angle link to a stranger": _section("<https://evil.example/>"),
    "raw ampersand": _section("A & B"),
    "numeric entity": _section("&#60;!here&#62;"),
    "block quote": _section("• one\n&gt; quoted"),
    "multi-line quote": _section("&gt;&gt;&gt; all of it"),
    "inline code": _section("a `b` c"),
    "code block": _section("```x```"),
    "code in context": lambda b: b["blocks"][2]["elements"][0].update(text="`3`"),
    "quote in the fallback": lambda b: b.update(text="&gt; title"),
}


@pytest.mark.parametrize("case", sorted(SLACK_MARKUP_BAD))
def test_slack_markup_validator_catches(case: str) -> None:
    body = copy.deepcopy(good_slack())
    SLACK_MARKUP_BAD[case](body)
    assert slack_markup_violations(body, OUR_URLS), case


def test_slack_markup_validator_reads_only_mrkdwn() -> None:
    body = good_slack()
    body["blocks"][0]["text"]["text"] = "> `plain` & <https://evil.example|x>"
    body["blocks"][3]["alt_text"] = "> `alt` &"
    assert slack_markup_violations(body, OUR_URLS) == []
