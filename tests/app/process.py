"""`papers-bot run` as a real child process, with its output collected as it arrives.

Waits are on output lines (an `asyncio.Condition` woken by each new line), each bounded by
a timeout, never on sleeps; the event loop stays free for the fake servers in the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"web server listening on [\d.]+:(\d+)")


class BotProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._changed = asyncio.Condition()
        assert proc.stdout is not None
        assert proc.stderr is not None
        self._readers = [
            asyncio.create_task(self._read(proc.stdout, self.stdout)),
            asyncio.create_task(self._read(proc.stderr, self.stderr)),
        ]

    @classmethod
    async def start(cls, env: Mapping[str, str], cwd: Path, *args: str) -> BotProcess:
        """`papers-bot run` with `args` (e.g. `--json`) in `cwd`, `env` over ours."""
        merged = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            *args,
            cwd=cwd,
            env=merged,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def _read(self, stream: asyncio.StreamReader, into: list[str]) -> None:
        async for raw in stream:
            into.append(raw.decode("utf-8", "replace").rstrip("\n"))
            async with self._changed:
                self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    async def _wait(self, found: Callable[[], Any], what: str, within: float) -> Any:
        def ready() -> Any:
            return found() or self.proc.returncode is not None

        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(ready), within)
        except TimeoutError:
            raise AssertionError(f"no {what} within {within}s; log:\n{self.log}") from None
        result = found()
        if not result:
            raise AssertionError(f"bot exited ({self.proc.returncode}) before {what}:\n{self.log}")
        return result

    async def wait_for_log(self, pattern: str, *, after: int = 0, within: float = 60) -> int:
        """Index of the first stderr line at or after `after` matching `pattern`."""
        regex = re.compile(pattern)

        def find() -> int | None:
            for index in range(after, len(self.stderr)):
                if regex.search(self.stderr[index]):
                    return index + 1  # +1 so index 0 is truthy; undone below
            return None

        return int(await self._wait(find, f"log line /{pattern}/", within)) - 1

    async def wait_for_port(self, within: float = 60) -> int:
        index = await self.wait_for_log(LISTENING.pattern, within=within)
        match = LISTENING.search(self.stderr[index])
        assert match is not None
        return int(match.group(1))

    async def wait_for_posts(self, titles: set[str], within: float = 60) -> list[dict[str, Any]]:
        """The console posts (JSON lines on stdout) once all `titles` have appeared."""

        def find() -> list[dict[str, Any]] | None:
            posts = [json.loads(line) for line in self.stdout if line.startswith("{")]
            return posts if titles <= posted_titles(posts) else None

        return list(await self._wait(find, f"posts of {sorted(titles)}", within))

    async def wait_for_shown(self, texts: set[str], within: float = 60) -> str:
        """The drawn console output (stdout as one text) once all `texts` appear in it."""

        def find() -> str | None:
            shown = "\n".join(self.stdout)
            return shown if all(text in shown for text in texts) else None

        return str(await self._wait(find, f"console output with {sorted(texts)}", within))

    async def stop(self, sig: int = signal.SIGTERM, within: float = 30) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        try:
            code = await asyncio.wait_for(self.proc.wait(), within)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError(f"bot did not stop within {within}s:\n{self.log}") from None
        await asyncio.gather(*self._readers)
        return code

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)

    @property
    def log(self) -> str:
        return "\n".join(self.stderr[-60:])


def posted_titles(posts: list[dict[str, Any]]) -> set[str]:
    """Embed titles (papers and the header) in the Discord create-message bodies printed."""
    return {embed["title"] for post in posts for embed in post["body"].get("embeds", [])}
