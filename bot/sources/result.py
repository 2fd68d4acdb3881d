"""What every source fetcher hands the scheduler, so markdown, HF and feeds poll alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.models import Digest
from bot.sources.http import Validators


class SourceStatus(StrEnum):
    FETCHED = "fetched"
    #: The server answered 304: keep the last good state, nothing to do.
    NOT_MODIFIED = "not_modified"
    #: The day's digest does not exist (yet): a 404, or an empty or echoed HF day.
    NOT_PUBLISHED = "not_published"


@dataclass(frozen=True, slots=True)
class SourceResult:
    """One poll of one source; `digest` is set exactly when `status` is FETCHED.

    `validators` are what to send on the next poll of the same URL (empty when the
    source has no single URL to validate, such as the paged HF API).
    """

    status: SourceStatus
    url: str
    digest: Digest | None = None
    validators: Validators = field(default_factory=Validators)

    def __post_init__(self) -> None:
        if (self.digest is not None) != (self.status is SourceStatus.FETCHED):
            raise ValueError("a SourceResult has a digest exactly when it was fetched")

    @classmethod
    def fetched(cls, url: str, digest: Digest, validators: Validators) -> SourceResult:
        return cls(SourceStatus.FETCHED, url, digest, validators)

    @classmethod
    def not_modified(cls, url: str, validators: Validators) -> SourceResult:
        return cls(SourceStatus.NOT_MODIFIED, url, None, validators)

    @classmethod
    def not_published(cls, url: str) -> SourceResult:
        return cls(SourceStatus.NOT_PUBLISHED, url)
