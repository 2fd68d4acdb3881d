"""`papers-bot preview --html OUT`: a page a browser draws as the Discord and Slack posts,
with every paper title on it and hostile digest text shown, never run.

The browser tests use headless Chromium (Debian's `chromium`; `.ci/run` installs it with
`fonts-noto-cjk`): skipped with the reason where it is missing, required under CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bot.cli import main
from bot.sources.files import load_digest_file
from tests.browser import dump_dom, screenshot
from tests.conftest import FIXTURE_CORPUS
from tests.render.page_dom import Page, html_violations, read_page

TITLES = [
    "Tiny Experts <script>alert(1)</script> @everyone",
    "Counting Sheep & Goats: <b>Bold</b> Claims",
    "한국어 요약 모델 평가",
]
DIGEST = f"""## Daily Papers (2024-03-14)

### [{TITLES[0]}](https://arxiv.org/abs/2403.01234)

![](https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2403.01234.png)

Vote: 42

Authors: Ada <img src=x onerror=alert(1)>, Ben Ortiz

- ***What's New***: [click me](https://evil.example/phish) <script>alert(2)</script>
- Ping @everyone and <@123456789012345678> <!channel>.

### [{TITLES[1]}](https://arxiv.org/abs/2403.05555)

[Watch Video](https://cdn.example.org/sheep.mp4)

Vote: 7

- A benchmark of counting puzzles.

### [{TITLES[2]}](https://arxiv.org/abs/2403.07777)

Vote: 3

- 한국어 요약을 *수작업*으로 검수했습니다.
"""
OUR_URLS = {
    "https://huggingface.co/papers/date/2024-03-14",
    "https://cdn.example.org/sheep.mp4",
    *(
        url.format(arxiv_id=arxiv_id)
        for arxiv_id in ("2403.01234", "2403.05555", "2403.07777")
        for url in (
            "https://arxiv.org/abs/{arxiv_id}",
            "https://arxiv.org/pdf/{arxiv_id}",
            "https://huggingface.co/papers/{arxiv_id}",
            "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{arxiv_id}.png",
        )
    ),
}
ZWSP = "\u200b"
DISCORD_BACKGROUND = (0x31, 0x33, 0x38)
SLACK_BACKGROUND = (0xFF, 0xFF, 0xFF)


@pytest.fixture
def digest_file(tmp_path: Path) -> Path:
    path = tmp_path / "14.md"
    path.write_text(DIGEST, encoding="utf-8")
    return path


def write_page(digest: Path, out: Path, *options: str) -> Page:
    assert main(["preview", str(digest), "--html", str(out), *options]) == 0
    return read_page(out.read_text(encoding="utf-8"))


def shown(text: str) -> str:
    return text.replace(ZWSP, "")


def test_page_has_every_title_and_runs_nothing(
    digest_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = write_page(digest_file, tmp_path / "out.html", "--layout", "thread")
    assert (
        capsys.readouterr().out == f"wrote {tmp_path / 'out.html'} (messages: discord 2, slack 4)\n"
    )
    panes = page.by_class("pane")
    assert [sorted(p.classes) for p in panes] == [["discord", "pane"], ["pane", "slack"]]
    for pane in panes:
        for title in TITLES:
            assert title in shown(pane.text), (pane.classes, title)
    assert html_violations(page, OUR_URLS) == []
    assert [img.attrs["src"] for img in page.by_tag("img")][:1] == [
        "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2403.01234.png"
    ]
    text = page.visible_text
    assert "<img src=x onerror=alert(1)>" in text
    assert "click me (https://evil.example/phish)" in shown(text)
    assert not [a for a in page.by_tag("a") if a.text == "click me"]


def test_one_platform(digest_file: Path, tmp_path: Path) -> None:
    page = write_page(digest_file, tmp_path / "out.html", "--platform", "slack")
    assert [sorted(p.classes) for p in page.by_class("pane")] == [["pane", "slack"]]


def test_bad_uses(digest_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.html"
    for argv in (["--json", "--html", str(out)], []):
        with pytest.raises(SystemExit) as exc:
            main(["preview", str(digest_file), *argv])
        assert exc.value.code == 2
    assert "--platform" in capsys.readouterr().err
    assert not out.exists()
    code = main(["preview", str(digest_file), "--html", str(tmp_path / "no" / "out.html")])
    assert code == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("papers-bot preview: ")
    assert "no" in line


def test_chromium_draws_both_panes(digest_file: Path, tmp_path: Path, chromium: str) -> None:
    out = tmp_path / "out.html"
    write_page(digest_file, out, "--layout", "thread")
    png = tmp_path / "shot.png"
    screenshot(chromium, out, png, width=1280, height=1400)
    with Image.open(png) as shot:
        image = shot.convert("RGB")
    pixels = image.width * image.height
    colours = {colour: count for count, colour in image.getcolors(maxcolors=pixels) or []}
    assert len(colours) > 200  # text, emoji, the embed bars: not a blank page
    # Each pane in its own theme takes a good part of the window.
    assert colours.get(DISCORD_BACKGROUND, 0) > pixels // 10
    assert colours.get(SLACK_BACKGROUND, 0) > pixels // 10


def test_chromium_builds_the_dom_we_wrote(digest_file: Path, tmp_path: Path, chromium: str) -> None:
    out = tmp_path / "out.html"
    write_page(digest_file, out)
    dom = read_page(dump_dom(chromium, out))
    assert dom.by_tag("script") == []
    assert html_violations(dom, OUR_URLS) == []
    for title in TITLES:
        assert shown(dom.visible_text).count(title) >= 2  # on Discord and on Slack


def test_a_korean_corpus_day(tmp_path: Path, chromium: str) -> None:
    day = FIXTURE_CORPUS / "2024" / "06" / "04.md"
    out = tmp_path / "day.html"
    write_page(day, out, "--top", "3", "--layout", "thread")
    dom = read_page(dump_dom(chromium, out))
    assert dom.by_tag("html")[0].attrs["lang"] == "ko"
    papers = sorted(load_digest_file(day).papers, key=lambda p: -(p.votes or 0))[:3]
    for paper in papers:
        assert dom.visible_text.count(paper.title) >= 2
    assert "Hugging Face 데일리 페이퍼 · 2024-06-04" in dom.visible_text
