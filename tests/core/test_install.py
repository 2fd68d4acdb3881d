"""README command 1 installs the bot with no extras (`pip install -e .`): every module of
the bot must import without the `postgres` and `test` extras, or `papers-bot run` fails on
a fresh machine with a traceback. The suite itself runs with the extras installed, so the
check runs in a child interpreter that cannot import them."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import packages_distributions, requires

from tests.conftest import PROJECT_ROOT

EXTRA = re.compile(r";\s*extra\s*==")
NAME = re.compile(r"^[A-Za-z0-9._-]+")

CHILD = """
import importlib, pkgutil, sys

BLOCKED = frozenset(sys.argv[1].split(","))
MIGRATIONS = "bot.store.migrations."
sys.argv = ["papers-bot", "run", "--help"]


class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (an extra)", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
import bot

imported = 0
for found in pkgutil.walk_packages(bot.__path__, "bot."):
    # __main__ runs the command line; alembic loads the migrations itself, from files
    if found.name != "bot.__main__" and not found.name.startswith(MIGRATIONS):
        importlib.import_module(found.name)
        imported += 1
print(f"{imported} modules imported")
from bot.cli import main

sys.exit(main())
"""


def _name(requirement: str) -> str:
    match = NAME.match(requirement)
    assert match is not None, requirement
    return match.group(0).lower().replace("_", "-")


def _installed_without_extras() -> set[str]:
    """The distributions a plain install brings: the base requirements and theirs."""
    seen: set[str] = set()
    todo = [_name(r) for r in requires("papers-bot") or [] if not EXTRA.search(r)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            found = requires(name) or []
        except Exception:  # a requirement this platform does not install
            continue
        todo += [_name(r) for r in found if not EXTRA.search(r)]
    return seen


def extra_only_modules() -> set[str]:
    """Top-level modules that only the extras install (asyncpg, pytest, PIL, ...)."""
    base = _installed_without_extras()
    extras = {_name(r) for r in requires("papers-bot") or [] if EXTRA.search(r)} - base
    return {
        module
        for module, dists in packages_distributions().items()
        if dists and all(_name(d) in extras for d in dists)
    }


def test_the_extras_are_found_so_the_check_below_blocks_something() -> None:
    assert {"asyncpg", "pytest", "hypothesis", "PIL", "yaml"} <= extra_only_modules()


def test_every_bot_module_imports_without_the_extras() -> None:
    blocked = ",".join(sorted(extra_only_modules()))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, blocked],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    imported = int(done.stdout.split(" modules imported")[0])
    assert imported > 100  # all of them, not a walk cut short
    assert "usage: papers-bot run" in done.stdout
