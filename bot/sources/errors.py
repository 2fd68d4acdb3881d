"""What can go wrong while getting a digest; the poller logs these and keeps the last good state."""

from bot.errors import PapersBotError


class SourceError(PapersBotError):
    """A digest could not be fetched or understood."""


class ParseError(SourceError):
    """The body arrived but is not a digest of the expected format."""


class FetchError(SourceError):
    """The body could not be fetched (after the retries allowed)."""


class HttpStatusError(FetchError):
    def __init__(self, url: str, status: int, *, attempts: int = 1) -> None:
        tried = f" (after {attempts} attempts)" if attempts > 1 else ""
        super().__init__(f"{url} answered HTTP {status}{tried}")
        self.url = url
        self.status = status


class BodyTooLargeError(FetchError):
    def __init__(self, url: str, limit: int) -> None:
        super().__init__(f"{url} sent more than {limit} bytes; refused")
        self.url = url
        self.limit = limit
