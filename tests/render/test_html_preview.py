"""The HTML preview page: drawn from the rendered bodies, every paper on both panes, the
thread and video layouts, and hostile digest text inert (no element, attribute or link
the renderers did not make; `test_hostile` checks the same over generated digests)."""

from __future__ import annotations

import pytest

from bot.models import Digest, Platform
from bot.render.html_preview import preview_page
from bot.render.options import RenderOptions, SlackLayout
from bot.render.platforms import render_digest
from bot.render.text import one_line
from tests.render.hostile import digest_urls
from tests.render.page_dom import Element, Page, html_violations, read_page
from tests.render.samples import SAMPLES, hostile_digest, korean_digest

ZWSP = "\u200b"
SLACK_BACKTICK = "\u02cb"


def as_read(text: str) -> str:
    """What a reader takes the shown text for: no zero-width spaces (our mention
    defusing), Slack's stand-in for a backtick read as one."""
    return text.replace(ZWSP, "").replace(SLACK_BACKTICK, "`")


def page_of(digest: Digest, options: RenderOptions) -> Page:
    panes = [(p, render_digest(p, digest, digest.papers, options)) for p in Platform]
    return read_page(preview_page(panes, title="preview", language=digest.language))


def pane(page: Page, platform: Platform) -> Element:
    (found,) = [e for e in page.by_class("pane") if platform.value in e.classes]
    return found


@pytest.mark.parametrize("sample", sorted(SAMPLES))
@pytest.mark.parametrize("layout", list(SlackLayout))
def test_every_title_is_on_both_panes(sample: str, layout: SlackLayout) -> None:
    digest = SAMPLES[sample]()
    page = page_of(digest, RenderOptions(slack_layout=layout))
    for platform in Platform:
        text = as_read(pane(page, platform).text)
        for paper in digest.papers:
            assert one_line(paper.title) in text, (platform, paper.title)


def test_hostile_text_is_shown_not_run() -> None:
    digest = hostile_digest()
    page = page_of(digest, RenderOptions())
    assert html_violations(page, digest_urls(digest)) == []
    text = as_read(page.visible_text)
    assert "A & B <script>" in text  # an author's name, as text
    assert "[click](javascript:x)" in text  # a masked link, as text
    assert "<https://evil.example|arXiv>" in text
    discord = pane(page, Platform.DISCORD).text
    assert "@everyone" not in discord.replace(f"@{ZWSP}everyone", "")  # defused, as sent


def test_page_is_self_contained_and_fetches_only_images() -> None:
    html = preview_page([], title="t <b>", language="ko")
    page = read_page(html)
    (csp,) = [m for m in page.by_tag("meta") if m.attrs.get("http-equiv")]
    assert csp.attrs["content"].startswith("default-src 'none'; img-src http: https:;")
    assert "script-src" not in csp.attrs["content"]
    assert page.by_tag("link") == []
    assert page.by_tag("script") == []
    assert page.by_tag("title")[0].text == "t <b>"
    assert page.by_tag("html")[0].attrs["lang"] == "ko"
    (style,) = page.by_tag("style")
    assert '"Noto Sans CJK KR", "Noto Sans KR"' in style.text


def test_slack_thread_layout_gathers_the_replies() -> None:
    digest = korean_digest()
    threaded = page_of(digest, RenderOptions(slack_layout=SlackLayout.THREAD))
    slack = pane(threaded, Platform.SLACK)
    (thread,) = [e for e in slack.walk() if "thread" in e.classes]
    replies = [e for e in thread.walk() if e.tag == "article"]
    assert len(replies) == len(digest.papers)
    assert "2 replies" in slack.text
    channel = page_of(digest, RenderOptions(slack_layout=SlackLayout.CHANNEL))
    assert not [e for e in pane(channel, Platform.SLACK).walk() if "thread" in e.classes]


def test_video_players_link_the_video() -> None:
    digest = korean_digest()
    video = "https://cdn.example.org/videos/2403.02222.mp4"
    page = page_of(digest, RenderOptions(slack_video_domains=frozenset({"cdn.example.org"})))
    discord = pane(page, Platform.DISCORD)
    (first, *_) = [e for e in discord.walk() if e.tag == "article"]
    body = next(e for e in first.children if "body" in e.classes)
    kinds = [e.classes & {"content", "embed", "player"} for e in body.children]
    # Discord shows the player of a video linked in the content after the bot's embeds.
    assert kinds[-1] == {"player"}
    assert {"embed"} in kinds
    assert body.children[-1].attrs["href"] == video
    slack_players = [e for e in pane(page, Platform.SLACK).walk() if "player" in e.classes]
    assert [p.attrs["href"] for p in slack_players] == [video]
    plain = page_of(digest, RenderOptions())
    assert not [e for e in pane(plain, Platform.SLACK).walk() if "player" in e.classes]


def test_discord_embed_parts() -> None:
    digest = korean_digest()
    page = page_of(digest, RenderOptions())
    embeds = [e for e in pane(page, Platform.DISCORD).walk() if "embed" in e.classes]
    assert len(embeds) == 1 + len(digest.papers)
    assert all(e.attrs["style"] == "border-left-color:#ffd21e" for e in embeds)
    paper = embeds[1]
    parts = [e for e in paper.walk() if e.classes & {"etitle", "edesc", "fields", "efooter"}]
    assert [sorted(e.classes)[0] for e in parts] == ["etitle", "edesc", "fields", "efooter"]
    (title_link,) = [e for e in parts[0].walk() if e.tag == "a"]
    assert title_link.attrs["href"] == "https://huggingface.co/papers/2403.02222"
    assert [e.tag for e in parts[1].walk() if e.tag in {"em", "strong"}] == [
        "em", "strong", "strong", "em", "em", "strong",
    ]  # fmt: skip
    (image,) = [e for e in paper.walk() if e.tag == "img"]
    assert image.attrs["src"].endswith("/2403.02222.png")
