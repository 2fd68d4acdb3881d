"""A SQLite store serves one running bot: a second `papers-bot run` on the same file
refuses to start in one line (it would post everything twice), the first keeps running,
and once it has stopped (or died) the file is free again."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from tests.app.process import BotProcess
from tests.app.test_run import bot_env, bots
from tests.fakes.source import FakeSource

__all__ = ["bots"]

READY = r"papers-bot .* ready"


async def exit_code(bot: BotProcess, within: float = 60) -> int:
    async with asyncio.timeout(within):
        return await bot.proc.wait()


async def test_a_second_run_on_the_same_sqlite_file_refuses_to_start(
    fake_source: FakeSource, tmp_path: Path, bots: list[BotProcess]
) -> None:
    env = bot_env(fake_source, tmp_path / "data")
    first = await BotProcess.start(env, tmp_path)
    bots.append(first)
    await first.wait_for_log(READY, within=60)

    second = await BotProcess.start(env, tmp_path)
    bots.append(second)
    assert await exit_code(second) != 0
    [line] = [text for text in second.stderr if text.strip()]
    pid = first.proc.pid
    assert re.search(rf"another papers-bot run \(pid {pid}\) is using .*papers-bot\.db", line)
    assert "PostgreSQL" in line
    assert first.proc.returncode is None  # the first one is untouched

    await first.kill()  # SIGKILL: the kernel drops the lock with the process
    third = await BotProcess.start(env, tmp_path)
    bots.append(third)
    await third.wait_for_log(READY, within=60)
    assert await third.stop() == 0
