"""The `papers-bot` command line.

Every module in this package that defines `register(subparsers)` contributes one
subcommand, so adding a command never means editing a shared list. Modules keep their
heavy imports inside the handler so `papers-bot --help` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from bot import __version__
from bot.errors import PapersBotError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="papers-bot",
        description="Hugging Face Daily Papers for Discord and Slack.",
    )
    parser.add_argument("--version", action="version", version=f"papers-bot {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except PapersBotError as exc:
        print(f"papers-bot {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
