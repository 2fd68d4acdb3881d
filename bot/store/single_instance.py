"""One running bot per SQLite file.

SQLite serves one writer at a time and the delivery worker of a SQLite store assumes no
other process sends from it (at start it takes over every post left in flight). A second
`papers-bot run` on the same file would post twice, so it refuses to start: `run` holds an
exclusive lock on `<database>.lock` for as long as it runs. The lock is the kernel's
(flock): a bot that dies, even by SIGKILL, releases it. The file records the holder's pid,
for the refusal message. Commands that only read or import (`search`, `import`) do not
take it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path

from bot.store.errors import StoreError


class InstanceLockedError(StoreError):
    """Another `papers-bot run` holds this SQLite file."""


def _lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise InstanceLockedError(
            f"another papers-bot run (pid {holder}) is using {path.with_suffix('')}; SQLite "
            "serves one instance: stop it, or set DATABASE_URL to PostgreSQL to run several"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode("ascii"))
    return fd


@contextlib.asynccontextmanager
async def single_instance(database: Path) -> AsyncIterator[None]:
    """Hold `<database>.lock` until the block ends; raise InstanceLockedError if taken."""
    lock_path = database.with_name(database.name + ".lock")
    fd = await asyncio.to_thread(_lock, lock_path)
    try:
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock
