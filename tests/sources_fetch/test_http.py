"""The fetcher against a real local HTTP server that misbehaves on demand."""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket

import aiohttp
import pytest

from bot import __version__
from bot.config import Settings
from bot.sources.errors import BodyTooLargeError, FetchError, HttpStatusError
from bot.sources.http import Backoff, Fetcher, Validators, display_url, parse_retry_after
from tests.fakes.source import FakeSource
from tests.sources_fetch.helpers import (
    TEST_BACKOFF_CAP,
    TEST_RETRY_AFTER_CAP,
    SleepLog,
    make_fetcher,
)

DAY = dt.date(2024, 3, 5)
BODY = "## Daily Papers (2024-03-05)\n\nsynthetic body\n"


async def test_200_returns_body_validators_and_user_agent(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    result = await make_fetcher(session).get(url)
    assert result.status == 200
    assert result.body == BODY.encode()
    assert result.final_url == url
    assert result.validators.etag == fake_source.digests[DAY].etag
    assert result.validators.last_modified == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert not result.not_modified
    sent = fake_source.requests[-1].headers
    assert sent["User-Agent"] == f"papers-bot/{__version__}"
    assert "If-None-Match" not in sent


async def test_second_conditional_get_is_a_304_without_body(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fetcher = make_fetcher(session)
    first = await fetcher.get(url)
    second = await fetcher.get(url, validators=first.validators)
    assert second.status == 304
    assert second.not_modified
    assert second.body is None
    sent = fake_source.requests[-1].headers
    assert sent["If-None-Match"] == first.validators.etag
    assert sent["If-Modified-Since"] == first.validators.last_modified


async def test_last_modified_alone_also_gets_a_304(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fetcher = make_fetcher(session)
    first = await fetcher.get(url)
    second = await fetcher.get(url, validators=Validators(last_modified=first.validators.etag))
    assert second.status == 200  # an unparsable date is no match: the body comes again
    third = await fetcher.get(
        url, validators=Validators(last_modified=first.validators.last_modified)
    )
    assert third.status == 304


async def test_changed_body_comes_back_despite_old_validators(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fetcher = make_fetcher(session)
    first = await fetcher.get(url)
    fake_source.add_digest(
        DAY, BODY + "more\n", last_modified=dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
    )
    second = await fetcher.get(url, validators=first.validators)
    assert second.status == 200
    assert second.body == (BODY + "more\n").encode()
    assert second.validators.etag != first.validators.etag


async def test_server_errors_are_retried_until_success(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fake_source.fail_next(2, 503)
    sleeps = SleepLog()
    result = await make_fetcher(session, retries=3, sleeps=sleeps).get(url)
    assert result.body == BODY.encode()
    assert len(fake_source.requests) == 3
    assert len(sleeps.delays) == 2
    assert all(0.0 <= d <= TEST_BACKOFF_CAP for d in sleeps.delays)


async def test_server_errors_forever_give_up_after_the_retries(
    fake_source: FakeSource, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fake_source.fail_next(100, 500)
    with caplog.at_level(logging.DEBUG), pytest.raises(HttpStatusError) as caught:
        await make_fetcher(session, retries=2).get(url)
    assert caught.value.status == 500
    assert isinstance(caught.value, FetchError)
    assert str(caught.value) == f"{url} answered HTTP 500 (after 3 attempts)"
    assert len(fake_source.requests) == 3
    # The caller logs the failure once; the fetcher's own lines are for debugging.
    mine = [r for r in caplog.records if r.name == "bot.sources.http"]
    assert [r.levelname for r in mine] == ["DEBUG"] * 3
    assert all(url in r.getMessage() for r in mine)
    assert "giving up" in mine[-1].getMessage()


async def test_zero_retries_means_one_attempt(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fake_source.fail_next(1, 502)
    with pytest.raises(HttpStatusError):
        await make_fetcher(session, retries=0).get(url)
    assert len(fake_source.requests) == 1


async def test_429_waits_as_told_but_capped(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fake_source.rate_limit_next(1, "0")
    fake_source.rate_limit_next(1, "3600")
    sleeps = SleepLog()
    result = await make_fetcher(session, sleeps=sleeps).get(url)
    assert result.status == 200
    assert sleeps.delays == [0.0, TEST_RETRY_AFTER_CAP]
    assert len(fake_source.requests) == 3


async def test_429_without_retry_after_backs_off(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fake_source.rate_limit_next(1, None)
    sleeps = SleepLog()
    await make_fetcher(session, sleeps=sleeps).get(url)
    assert len(sleeps.delays) == 1
    assert 0.0 <= sleeps.delays[0] <= TEST_BACKOFF_CAP


async def test_client_errors_are_not_retried(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    fetcher = make_fetcher(session, retries=3)
    with pytest.raises(HttpStatusError) as caught:
        await fetcher.get(fake_source.digest_url(DAY))
    assert caught.value.status == 404
    with pytest.raises(HttpStatusError) as bad_date:
        await fetcher.get(fake_source.hf_url + "?date=2024-13-45")
    assert bad_date.value.status == 400
    assert len(fake_source.requests) == 2


async def test_a_slow_answer_times_out_and_is_retried(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fake_source.delay_next(1, 30.0)
    result = await make_fetcher(session, timeout=0.3).get(url)
    assert result.body == BODY.encode()
    assert len(fake_source.requests) == 2


async def test_always_slow_gives_a_timeout_error(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fake_source.delay_next(100, 30.0)
    with pytest.raises(FetchError, match="timed out") as caught:
        await make_fetcher(session, timeout=0.3, retries=1).get(url)
    assert not isinstance(caught.value, HttpStatusError)
    assert len(fake_source.requests) == 2


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "streamed"])
async def test_oversized_bodies_are_refused_without_retry(
    fake_source: FakeSource, session: aiohttp.ClientSession, with_length: bool
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fake_source.oversize_next(1, 2 * 1024 * 1024, with_length=with_length)
    with pytest.raises(BodyTooLargeError) as caught:
        await make_fetcher(session, max_body_bytes=8192).get(url)
    assert caught.value.limit == 8192
    assert len(fake_source.requests) == 1


async def test_a_body_exactly_at_the_cap_is_accepted(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, b"y" * 8192)
    result = await make_fetcher(session, max_body_bytes=8192).get(url)
    assert result.body == b"y" * 8192
    fake_source.add_digest(DAY, b"y" * 8193)
    with pytest.raises(BodyTooLargeError):
        await make_fetcher(session, max_body_bytes=8192).get(url)


@pytest.mark.parametrize("mid_body", [False, True], ids=["before-headers", "mid-body"])
async def test_dropped_connections_are_retried(
    fake_source: FakeSource, session: aiohttp.ClientSession, mid_body: bool
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    if mid_body:
        fake_source.drop_mid_body_next(1)
    else:
        fake_source.drop_next(1)
    result = await make_fetcher(session).get(url)
    assert result.body == BODY.encode()
    assert len(fake_source.requests) == 2
    assert fake_source.faults[-1].remaining == 0


async def test_dropped_forever_is_a_fetch_error(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    url = fake_source.add_digest(DAY, BODY)
    fake_source.drop_next(100)
    sleeps = SleepLog()
    with pytest.raises(FetchError, match="connection failed"):
        await make_fetcher(session, retries=2, sleeps=sleeps).get(url)
    assert len(sleeps.delays) == 2
    # aiohttp itself may re-send an idempotent GET once on a dropped pooled connection.
    assert len(fake_source.requests) >= 3


async def test_nobody_listening_is_a_fetch_error(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="connection failed"):
        await make_fetcher(session, retries=1).get(f"http://127.0.0.1:{port}/x.md")


async def test_a_malformed_url_is_a_fetch_error(session: aiohttp.ClientSession) -> None:
    with pytest.raises(FetchError):
        await make_fetcher(session).get("http://")


async def test_from_settings_takes_the_operator_limits(
    fake_source: FakeSource, session: aiohttp.ClientSession
) -> None:
    settings = Settings(http_max_body_bytes=2048, http_retries=0)
    fetcher = Fetcher.from_settings(session, settings, sleep=SleepLog())
    url = fake_source.add_digest(DAY, b"z" * 4096)
    with pytest.raises(BodyTooLargeError):
        await fetcher.get(url)
    fake_source.fail_next(1)
    with pytest.raises(HttpStatusError):
        await fetcher.get(url)
    assert len(fake_source.requests) == 2


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("soon", None),
        ("-5", None),
    ],
)
def test_parse_retry_after(header: str, expected: float | None) -> None:
    now = dt.datetime(2015, 10, 21, 7, 28, 0, tzinfo=dt.UTC)
    assert parse_retry_after(header, now=now) == expected


def test_backoff_grows_exponentially_within_full_jitter() -> None:
    class Top(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    backoff = Backoff(base=1.0, cap=10.0, rng=Top())
    assert [backoff.delay(n) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    jittered = Backoff(base=1.0, cap=10.0)
    assert all(0.0 <= jittered.delay(3) <= 8.0 for _ in range(50))


def test_display_url_hides_credentials() -> None:
    assert display_url("https://user:pw@example.org/a.md") == "https://example.org/a.md"
    assert display_url("https://example.org/a.md?x=1") == "https://example.org/a.md?x=1"
