"""Platform-neutral text rules: cleaning, grapheme-safe truncation, author lists.

Chat limits count code points, but a reader sees grapheme clusters: cutting between the
code points of a Hangul syllable written as jamo, an emoji ZWJ sequence or a flag leaves a
broken glyph. So every cut here happens between clusters (`regex`'s `\\X`), and prefers a
bullet, sentence or word boundary so a shortened summary still reads as prose.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

import regex

ELLIPSIS = "…"

_CLUSTER = regex.compile(r"\X", regex.DOTALL)
_SPACES = regex.compile(r"\s+")
_SENTENCE_END = frozenset(".!?。！？…")

# A cut is only taken when it keeps at least this share of the room; otherwise the text
# is cut at the last cluster that fits (a boundary far back would waste the budget).
_BULLET_KEEP = 0.5
_SENTENCE_KEEP = 0.6
_WORD_KEEP = 0.75


def _is_unwanted_control(ch: str) -> bool:
    if ch in "\n\t":
        return False
    category = unicodedata.category(ch)
    # Cc: C0/C1 controls; Co: private use (renderers reserve it); Cs: lone surrogates.
    return category in {"Cc", "Co", "Cs"}


def clean_text(text: str) -> str:
    """NFC-normalize and drop control, private-use and surrogate code points.

    Digests carry stray control characters (a TAB inside a word); lone surrogates can't
    even be encoded as JSON for the platform. Tabs become spaces, newlines are kept.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\t", " ")
    return "".join(ch for ch in text if not _is_unwanted_control(ch))


def one_line(text: str) -> str:
    """Cleaned text with every run of whitespace (newlines included) made one space."""
    collapsed: str = _SPACES.sub(" ", clean_text(text))
    return collapsed.strip()


def _leading_clusters(text: str, room: int) -> list[str]:
    """The clusters that fit in `room` plus the first that doesn't (segmenting lazily, as a
    10,000-character author list only needs its head)."""
    clusters: list[str] = []
    used = 0
    for match in _CLUSTER.finditer(text):
        cluster: str = match.group()
        clusters.append(cluster)
        used += len(cluster)
        if used > room:
            break
    return clusters


def _is_blank(cluster: str) -> bool:
    return cluster.isspace()


def _best_cut(clusters: Sequence[str], room: int) -> int:
    """How many leading clusters to keep: the best boundary within `room` code points."""
    offsets: list[int] = []
    used = 0
    for cluster in clusters:
        if used + len(cluster) > room:
            break
        offsets.append(used)
        used += len(cluster)
    fitting = len(offsets)
    offsets.append(used)
    bullet = sentence = word = 0
    # A candidate `index` keeps clusters[:index]; the blank cluster at `index` is dropped,
    # so it may be the first one that no longer fits.
    for index in range(1, min(fitting + 1, len(clusters))):
        if not _is_blank(clusters[index]):
            continue
        if "\n" in clusters[index]:
            bullet = index
        elif clusters[index - 1][-1] in _SENTENCE_END:
            sentence = index
        word = index
    good = [
        index
        for index, share in ((bullet, _BULLET_KEEP), (sentence, _SENTENCE_KEEP))
        if index and offsets[index] >= room * share
    ]
    if good:
        return max(good)
    if word and offsets[word] >= room * _WORD_KEEP:
        return word
    return fitting


def truncate(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """`text` itself if it fits in `limit` code points, else a cluster-aligned prefix plus
    `ellipsis`, cut at a bullet or sentence boundary where that loses little."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    if len(ellipsis) >= limit:
        ellipsis = ""
    room = limit - len(ellipsis)
    clusters = _leading_clusters(text, room)
    keep = _best_cut(clusters, room)
    while keep and _is_blank(clusters[keep - 1]):
        keep -= 1
    return "".join(clusters[:keep]) + ellipsis


def fit_raw(
    text: str,
    limit: int,
    render: Callable[[str], str],
    *,
    ellipsis: str = ELLIPSIS,
) -> str:
    """The longest truncation of raw `text` whose `render` fits in `limit` code points.

    Escaping grows text, so the raw text is cut (never the rendered one, which could split
    an escape sequence or a link) and re-rendered until it fits; "" when nothing does.
    """
    if len(render(text)) <= limit:
        return text
    # Binary search on the raw budget; any budget >= len(text) would give `text` back.
    low, high = 0, min(limit, len(text) - 1)
    best = ""
    while low <= high:
        budget = (low + high) // 2
        candidate = truncate(text, budget, ellipsis=ellipsis)
        if len(render(candidate)) <= limit:
            best, low = candidate, budget + 1
        else:
            high = budget - 1
    return best


def fit(
    text: str,
    limit: int,
    render: Callable[[str], str],
    *,
    ellipsis: str = ELLIPSIS,
) -> str:
    """`render(text)`, shortened at the raw side until it fits in `limit` code points."""
    out = render(fit_raw(text, limit, render, ellipsis=ellipsis))
    return out if len(out) <= limit else ""


MoreLabel = Callable[[int, bool], str]
"""(names hidden by us, list already cut at the source) -> suffix, e.g. "(+3 more)"."""


def format_authors(
    authors: Sequence[str],
    *,
    truncated_at_source: bool,
    max_names: int,
    limit: int,
    more: MoreLabel,
    render: Callable[[str], str] = lambda name: name,
) -> str:
    """ "A, B, C, ... (+N more)" within `limit` code points; names go through `render`
    (escaping), the suffix is ours and trusted. Empty when there are no names."""
    names = [name for name in (one_line(a) for a in authors) if name]
    if not names:
        return ""
    shown = min(max(max_names, 1), len(names))
    while True:
        hidden = len(names) - shown
        suffix = ""
        if hidden or truncated_at_source:
            suffix = ", ... " + more(hidden, truncated_at_source)
        joined = ", ".join(render(name) for name in names[:shown]) + suffix
        if len(joined) <= limit:
            return joined
        if shown == 1:
            room = limit - len(suffix)
            if room <= 0:
                return fit(names[0], limit, render)
            return fit(names[0], room, render) + suffix
        shown -= 1
