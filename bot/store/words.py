"""The one definition of a "word" for search, shared by indexing and querying.

PostgreSQL's own text parser splits `self-training` into three tokens and keeps `1.5` whole,
which puts phrase positions out of step with what a query can predict; so the PostgreSQL word
index is built over text we tokenized ourselves, with this same rule.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+")


def split_words(text: str) -> list[str]:
    return WORD.findall(text.casefold())
