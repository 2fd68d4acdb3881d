"""`papers-bot parse FILE...`: digests as JSON Lines, one paper per line (README: Parsing digests).

A bad file costs only its own lines: the others are still printed, and the exit status
(1) plus one stderr line per bad file tell a script what was skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.output import utf8
from bot.errors import PapersBotError

EXIT_SOME_FAILED = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "parse",
        help="print the papers of digest files as JSON Lines",
        description="Read markdown digests and HF daily-papers JSON files (auto-detected) "
        "and print one JSON object per paper.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help="digest file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.sources.files import load_digest_file  # noqa: PLC0415 (keeps --help instant)

    out = utf8(sys.stdout)
    failed = False
    for path in args.files:
        try:
            digest = load_digest_file(path)
        except Exception as exc:
            # A parser crash on one file's content (not a PapersBotError) fails that file only.
            known = isinstance(exc, PapersBotError)
            reason = str(exc) if known else f"{path}: cannot parse ({type(exc).__name__}: {exc})"
            print(f"papers-bot parse: {reason}", file=sys.stderr)
            failed = True
            continue
        lines = [json.dumps(p.to_json(), ensure_ascii=False) + "\n" for p in digest.papers]
        try:
            out.write("".join(lines))
            out.flush()
        except BrokenPipeError:  # `papers-bot parse ... | head`: the reader has had enough
            return 0
    return EXIT_SOME_FAILED if failed else 0
