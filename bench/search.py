"""Search latency (p50/p99) and import speed of the archive, on SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--backend sqlite|postgres|both] [--papers 100000]

Runs over the real corpus (../shared/corpus, when present) and over a synthetic archive of
English and Korean-like papers generated here. PostgreSQL runs in a throw-away schema.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import random
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import asyncpg

from bot.models import Digest, Paper, SourceKind
from bot.sources.files import load_digest_file
from bot.store import Store, open_store
from bot.store.importer import BATCH_PAPERS, digest_files
from bot.store.maintenance import optimize

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "daily_papers_ko"
PAPERS_PER_DAY = 30
QUERIES_PER_KIND = 60

# Syllables for English-looking words. Their variety matters: real titles use about 11,000
# distinct character trigrams per 2,650 papers, and substring search cost follows how common
# a query's trigrams are (a 14-syllable toy alphabet made every trigram ~8x too common).
_ONSETS = ["", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w"]
_ONSETS += ["z", "br", "ch", "cl", "dr", "gr", "pl", "pr", "sc", "sh", "sp", "st", "th", "tr"]
# Word frequency skew of titles and authors: with 0.6 the rarest trigram of a partial title
# word is in 3.5% of papers at the median and 29% at p90 (real corpus: 3.3% and 23%).
_LATIN_ZIPF = 0.6
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
_CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "x", "nd", "nt", "rs", "ng", "ck"]
_HANGUL = "가나다라마바사아자차카타파하모델학습성능데이터방법제안생성언어비전구조"
_PARTICLES = ["", "", "을", "를", "의", "은", "는", "에서", "으로"]


class Synth:
    """Deterministic pseudo-text: a Zipf-ish vocabulary of Latin and Hangul words."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        # Sorted, not set order: string hashes vary per process, and runs must be comparable ...
        self.latin = sorted({self._latin_word() for _ in range(6000)})
        self.hangul = sorted(
            {"".join(self.rng.choices(_HANGUL, k=self.rng.randint(2, 3))) for _ in range(4000)}
        )
        # ... then shuffled, so frequent words do not all share a prefix.
        self.rng.shuffle(self.latin)
        self.rng.shuffle(self.hangul)
        # Cumulative once: `choices` would otherwise re-add thousands of weights per call.
        self.cum_l = list(
            itertools.accumulate(1 / (i + 1) ** _LATIN_ZIPF for i in range(len(self.latin)))
        )
        self.cum_h = list(itertools.accumulate(1 / (i + 1) for i in range(len(self.hangul))))

    def _latin_word(self) -> str:
        syllables = self.rng.choices([1, 2, 3, 4], [2, 5, 4, 1])[0]
        return "".join(
            self.rng.choice(_ONSETS) + self.rng.choice(_VOWELS) + self.rng.choice(_CODAS)
            for _ in range(syllables)
        )

    def latin_words(self, n: int) -> list[str]:
        return self.rng.choices(self.latin, cum_weights=self.cum_l, k=n)

    def korean_sentence(self, n: int) -> str:
        words = self.rng.choices(self.hangul, cum_weights=self.cum_h, k=n)
        mixed = [w + self.rng.choice(_PARTICLES) for w in words]
        for _ in range(n // 6):
            mixed[self.rng.randrange(n)] = self.latin_words(1)[0].capitalize()
        return " ".join(mixed) + "."

    def paper(self, n: int, day: dt.date) -> Paper:
        title = " ".join(w.capitalize() for w in self.latin_words(self.rng.randint(5, 11)))
        authors = tuple(
            f"{self.latin_words(1)[0].capitalize()} {self.latin_words(1)[0].capitalize()}"
            for _ in range(self.rng.randint(2, 8))
        )
        bullets = tuple(self.korean_sentence(self.rng.randint(25, 45)) for _ in range(3))
        arxiv_id = f"{day:%y%m}.{n:05d}"
        return Paper(
            title=title,
            url=f"https://arxiv.org/abs/{arxiv_id}",
            date=day,
            source=SourceKind.MARKDOWN,
            language="ko",
            arxiv_id=arxiv_id,
            votes=int(self.rng.paretovariate(1.2)),
            authors=authors,
            bullets=bullets,
        )

    def digests(self, total: int) -> list[Digest]:
        day = dt.date(2020, 1, 1)
        out = []
        for start in range(0, total, PAPERS_PER_DAY):
            papers = tuple(
                self.paper(n, day) for n in range(start, min(start + PAPERS_PER_DAY, total))
            )
            out.append(Digest(date=day, source=SourceKind.MARKDOWN, papers=papers, language="ko"))
            day += dt.timedelta(days=1)
        return out


async def import_digests(store: Store, digests: list[Digest]) -> float:
    """Papers per second, batched and pipelined as `papers-bot import` does, index optimize
    included."""
    papers = sum(len(d.papers) for d in digests)
    start = time.perf_counter()
    async with store.writer.bulk(BATCH_PAPERS) as bulk:
        for digest in digests:
            await bulk.add(digest)
    await optimize(store.db)
    return papers / (time.perf_counter() - start)


def queries(digests: list[Digest], rng: random.Random) -> dict[str, list[str]]:
    papers = [p for d in digests for p in d.papers]
    sample = rng.sample(papers, min(QUERIES_PER_KIND, len(papers)))
    out: dict[str, list[str]] = defaultdict(list)
    for p in sample:
        out["arxiv id"].append(p.arxiv_id or p.title)
        out["url"].append(f"https://huggingface.co/papers/{p.arxiv_id}")
        out["exact title"].append(p.title)
        words = p.title.split()
        at = rng.randrange(max(1, len(words) - 1))
        out["title words"].append(" ".join(words[at : at + 2]))
        out["partial word"].append(rng.choice(words)[1:6])
        if p.authors:
            out["author"].append(rng.choice(p.authors).split()[-1])
        body = " ".join(p.bullets).split()
        if len(body) > 2:
            at = rng.randrange(len(body) - 1)
            out["korean phrase"].append(f"{body[at]} {body[at + 1]}")
            out["korean word"].append(rng.choice(body)[:2])
    common = [w for p in papers[:500] for w in p.title.split()]
    out["common word"] = [rng.choice(common) for _ in range(QUERIES_PER_KIND)]
    return out


async def measure(store: Store, by_kind: dict[str, list[str]]) -> None:
    everything: list[float] = []
    for kind, qs in by_kind.items():
        times = []
        for q in qs:
            start = time.perf_counter()
            await store.searcher.search(q, limit=10)
            times.append((time.perf_counter() - start) * 1000)
        everything.extend(times)
        print(f"    {kind:<14} p50 {pct(times, 50):6.2f} ms   p99 {pct(times, 99):6.2f} ms")
    print(f"    {'ALL':<14} p50 {pct(everything, 50):6.2f} ms   p99 {pct(everything, 99):6.2f} ms")


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run(name: str, url: str, search_path: str | None, digests: list[Digest]) -> None:
    async with open_store(url, search_path=search_path) as store:
        rate = await import_digests(store, digests)
        count = await store.papers.count()
        print(f"  {name}: {count} papers, import {rate:,.0f} papers/s")
        # Warm up as a running bot is warm: every statement shape compiled and prepared once,
        # indexes in the page cache; with other queries than the measured ones.
        for qs in queries(digests, random.Random(2)).values():
            for q in qs[:5]:
                await store.searcher.search(q)
        await measure(store, queries(digests, random.Random(1)))


async def with_backend(backend: str, label: str, digests: list[Digest], workdir: Path) -> None:
    if backend == "sqlite":
        path = workdir / f"{label}-{uuid.uuid4().hex[:6]}.db"
        await run(f"sqlite {label}", f"sqlite:///{path}", None, digests)
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_URL.replace("postgresql://", "postgres://"))
    await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        await run(f"postgres {label}", PG_URL, f'"{schema}", public', digests)
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--papers", type=int, default=100_000)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    corpus = [load_digest_file(p) for p in digest_files(CORPUS)] if CORPUS.is_dir() else []
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"generating {args.papers:,} synthetic papers ...")
    synthetic = Synth().digests(args.papers)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            if corpus:
                await with_backend(backend, "corpus", corpus, Path(tmp))
            await with_backend(backend, "synthetic", synthetic, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
