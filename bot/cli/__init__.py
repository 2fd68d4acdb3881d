"""The `papers-bot` command line.

Every module in this package that defines `register(subparsers)` contributes one
subcommand, so adding a command never means editing a shared list. Modules keep their
heavy imports inside the handler so `papers-bot --help` stays instant. `papers-bot` alone
prints the help and exits 0, as `--help` does.

Every failure a command anticipates ends here as one line on stderr, `papers-bot COMMAND:
cause`, never a traceback: exit status 2 for a usage error (an argument or a setting that
cannot work as given), 1 for any other failure (a database down, a file unreadable, a send
failed). Only a bug keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

from bot import __version__
from bot.errors import PapersBotError, UsageError, describe_os_error

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class OneLineParser(argparse.ArgumentParser):
    """A bad argument is one line naming it; argparse's default prints the whole usage
    first, which buries the cause. Subcommand parsers are of this class too (argparse makes
    them of the parent's)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="papers-bot",
        description="Hugging Face Daily Papers for Discord and Slack.",
    )
    parser.add_argument("--version", action="version", version=f"papers-bot {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        failure = _failure(exc)
        if failure is None:
            raise
        status, line = failure
        print(f"papers-bot {args.command}: {line}", file=sys.stderr)
        return status


def _failure(exc: Exception) -> tuple[int, str] | None:
    """The exit status and line for a failure the command line reports in words, or None
    for a bug. A database failure in the middle of a command (the server going away) is
    told here; one while the store opens already arrives as a StoreError naming it."""
    if isinstance(exc, UsageError):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, PapersBotError):
        return EXIT_FAILED, str(exc)
    if isinstance(exc, OSError):
        return EXIT_FAILED, describe_os_error(exc)
    from bot.store.errors import describe_database_error  # noqa: PLC0415

    reason = describe_database_error(exc)
    return None if reason is None else (EXIT_FAILED, f"database: {reason}")
