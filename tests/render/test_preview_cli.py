"""`papers-bot preview`: the JSON mode prints exactly what the renderers produce, the
terminal mode draws something a person can read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.render.validators import discord_message_violations, slack_message_violations

DIGEST = """## Daily Papers (2024-03-14)

### [Tiny Experts @everyone](https://arxiv.org/abs/2403.01234)

![](https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2403.01234.png)

Vote: 42

Authors: Ada Park, Ben Ortiz

- ***What's New***: Tiny experts route tokens.
- **Technical Details**: Two of sixty-four experts per token.

### [Counting Sheep](https://arxiv.org/abs/2403.05555)

[Watch Video](https://cdn.example.org/sheep.mp4)

Vote: 7

Authors: Chloe Wu

- A benchmark of counting puzzles.

### [Unvoted](https://arxiv.org/abs/2403.07777)

Vote: -

- Nobody counted.
"""


@pytest.fixture
def digest_file(tmp_path: Path) -> Path:
    path = tmp_path / "14.md"
    path.write_text(DIGEST, encoding="utf-8")
    return path


def _json_lines(capsys: pytest.CaptureFixture[str]) -> list[list[dict[str, object]]]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines()]


def test_json_discord(digest_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", str(digest_file), "--platform", "discord", "--json"]) == 0
    (bodies,) = _json_lines(capsys)
    assert all(discord_message_violations(b) == [] for b in bodies)
    titles = [e["title"] for b in bodies for e in b["embeds"]]  # type: ignore[attr-defined]
    assert titles[1:] == ["Tiny Experts @\u200beveryone", "Counting Sheep", "Unvoted"]
    assert any("sheep.mp4" in str(b.get("content", "")) for b in bodies)


def test_json_slack_thread_top_and_min_votes(
    digest_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["preview", str(digest_file), "--platform", "slack", "--json", "--layout", "thread"]
    assert main([*argv, "--top", "1", "--min-votes", "5"]) == 0
    (bodies,) = _json_lines(capsys)
    assert len(bodies) == 2
    assert all(slack_message_violations(b) == [] for b in bodies)
    assert "Top 1 of 3 papers" in json.dumps(bodies[0])
    assert "Tiny Experts" in str(bodies[1]["text"])


def test_keyword_filter(digest_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["preview", str(digest_file), "--platform", "slack", "--json", "--keyword", "sheep"]
    assert main(argv) == 0
    (bodies,) = _json_lines(capsys)
    assert [b["text"] for b in bodies[1:]] == ["Counting Sheep (👍 7)"]


def test_terminal_preview(digest_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", str(digest_file), "--platform", "slack"]) == 0
    out = capsys.readouterr().out
    assert "slack 1/4 · header · channel" in out
    assert "Tiny Experts" in out
    assert "What's New" in out
    assert "***" not in out  # emphasis is drawn, not shown as markup
    assert main(["preview", str(digest_file), "--platform", "discord", "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "discord 1/1 · header · channel" in out
    assert "🎬 https://cdn.example.org/sheep.mp4" in out
    assert "Counting Sheep" in out
    assert "Unvoted" not in out


def test_missing_file_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["preview", str(tmp_path / "nope.md"), "--platform", "discord"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("papers-bot preview:")
    assert "Traceback" not in err


def test_negative_top_is_refused(digest_file: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["preview", str(digest_file), "--platform", "discord", "--top", "-1"])
    assert exc.value.code == 2


async def _save(database_url: str, digest_path: Path) -> None:
    from bot.sources.files import load_digest_file
    from bot.store import open_store

    async with open_store(database_url) as store:
        await store.writer.save(load_digest_file(digest_path))


def test_date_from_the_store(
    digest_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    asyncio.run(_save(url, digest_file))
    monkeypatch.setenv("DATABASE_URL", url)
    argv = ["preview", "--date", "2024-03-14", "--platform", "discord", "--json", "--top", "2"]
    assert main(argv) == 0
    (bodies,) = _json_lines(capsys)
    assert all(discord_message_violations(b) == [] for b in bodies)
    titles = [e["title"] for b in bodies for e in b["embeds"]]  # type: ignore[attr-defined]
    assert titles[1:] == ["Tiny Experts @\u200beveryone", "Counting Sheep"]
    assert main(["preview", "--date", "2024-03-15", "--platform", "slack"]) == 1
    assert "no digest of 2024-03-15 in the archive" in capsys.readouterr().err


def test_file_and_date_are_exclusive(digest_file: Path) -> None:
    with pytest.raises(SystemExit):
        main(["preview", str(digest_file), "--date", "2024-03-14", "--platform", "slack"])
    with pytest.raises(SystemExit):
        main(["preview", "--platform", "slack"])
