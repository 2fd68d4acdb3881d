"""Markdown digests published one file per day at a URL template (SOURCES.md §2).

Any fork or mirror in the daily_papers_ko format is a source: the operator gives a URL
template with the date's parts as placeholders. A 404 is the normal state of today's
file before the upstream job has run, so it means "not published yet", not an error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import string

from bot.sources.errors import HttpStatusError, SourceError
from bot.sources.files import decode_body
from bot.sources.http import Fetcher, Validators
from bot.sources.markdown import parse_markdown_digest
from bot.sources.result import SourceResult

log = logging.getLogger(__name__)

PLACEHOLDERS = frozenset({"yyyy", "mm", "dd", "date"})
#: Not there (yet) rather than broken: 404 before the day's job runs, 410 for a removed day.
NOT_PUBLISHED_STATUSES = frozenset({404, 410})


class TemplateError(SourceError, ValueError):
    """A digest URL template that cannot name one file per day.

    Also a ValueError so a settings validator can raise it as is.
    """


def validate_template(template: str) -> str:
    """Check that `template` names exactly one URL per day; return it unchanged."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"digest URL template {template!r}: {exc}") from None
    names: set[str] = set()
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise TemplateError(
                f"digest URL template {template!r}: unknown placeholder {{{name}}}; "
                "use {yyyy}, {mm}, {dd} or {date} (write {{ and }} for literal braces)"
            )
        names.add(name)
    if "date" not in names and not {"yyyy", "mm", "dd"} <= names:
        raise TemplateError(
            f"digest URL template {template!r} must contain {{date}} or all of "
            "{yyyy}, {mm} and {dd}"
        )
    return template


def digest_url(template: str, day: dt.date) -> str:
    """The URL of `day`'s digest; raises TemplateError for a template that can't name it."""
    validate_template(template)
    return template.format(
        yyyy=f"{day.year:04d}", mm=f"{day.month:02d}", dd=f"{day.day:02d}", date=day.isoformat()
    )


async def fetch_markdown_day(
    fetcher: Fetcher, template: str, day: dt.date, validators: Validators | None = None
) -> SourceResult:
    """GET and parse one day's markdown digest, conditionally when validators are given."""
    url = digest_url(template, day)
    try:
        result = await fetcher.get(url, validators=validators)
    except HttpStatusError as exc:
        if exc.status in NOT_PUBLISHED_STATUSES:
            # The poll's own line says "not published"; this detail is for debugging.
            log.debug("%s: digest for %s not published yet (HTTP %d)", url, day, exc.status)
            return SourceResult.not_published(url)
        raise
    if result.body is None:
        known = (validators or Validators()).updated_by(result.validators)
        return SourceResult.not_modified(url, known)
    text = decode_body(result.body, origin=url)
    digest = await asyncio.to_thread(parse_markdown_digest, text, origin=url, day=day)
    if digest.date != day:
        log.warning("%s: asked for %s, the digest says %s", url, day, digest.date)
    return SourceResult.fetched(url, digest, result.validators)
