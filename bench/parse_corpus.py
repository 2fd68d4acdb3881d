"""Markdown digest parsing speed over the real corpus: MB/s and papers/s, best of N runs.

    .venv/bin/python bench/parse_corpus.py [CORPUS_DIR] [--runs N]

Files are read and decoded before the clock starts, so the figure is the parser's alone
(the target is 40 MB/s: the whole ~4.9 MB corpus in well under half a second). Without a
directory named (or PAPERS_BOT_CORPUS), the full corpus in ../shared is read when it is
there, else the few days copied into tests/fixtures (a figure over 7 files is noisier).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bot.sources.files import decode_body
from bot.sources.markdown import parse_markdown_digest

PROJECT = Path(__file__).resolve().parent.parent
FULL_CORPUS = PROJECT.parent / "shared/corpus/daily_papers_ko"
FIXTURE_CORPUS = PROJECT / "tests/fixtures/corpus/daily_papers_ko"
DEFAULT_CORPUS = FULL_CORPUS if FULL_CORPUS.is_dir() else FIXTURE_CORPUS
TARGET_MB_S = 40.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "corpus",
        nargs="?",
        type=Path,
        default=Path(os.environ.get("PAPERS_BOT_CORPUS", DEFAULT_CORPUS)),
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    paths = sorted(args.corpus.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9].md"))
    if not paths:
        print(f"no digests under {args.corpus}", file=sys.stderr)
        return 2
    raw = [path.read_bytes() for path in paths]
    texts = [
        (decode_body(data, origin=str(path)), str(path))
        for data, path in zip(raw, paths, strict=True)
    ]
    size = sum(map(len, raw))

    best = float("inf")
    papers = 0
    for _ in range(max(1, args.runs)):
        start = time.perf_counter()
        papers = sum(
            len(parse_markdown_digest(text, origin=origin).papers) for text, origin in texts
        )
        best = min(best, time.perf_counter() - start)

    mb_s = size / best / 1e6
    print(f"files:    {len(paths)} ({size / 1e6:.2f} MB)")
    print(f"papers:   {papers}")
    print(f"best of {args.runs}: {best * 1000:.1f} ms")
    print(f"speed:    {mb_s:.1f} MB/s, {papers / best:,.0f} papers/s (target {TARGET_MB_S:g} MB/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
