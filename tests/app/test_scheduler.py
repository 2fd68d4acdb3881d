"""The job registry over APScheduler: first run at start, failures contained, graceful stop."""

from __future__ import annotations

import asyncio

from apscheduler.triggers.interval import IntervalTrigger

from bot.scheduler import Scheduler, interval_trigger

WAIT = 10.0


async def test_a_run_now_job_fires_at_start_and_is_listed() -> None:
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    scheduler = Scheduler()
    scheduler.add_interval_job("poll:test", job, 3600)
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), WAIT)
        assert scheduler.running
        assert [j.id for j in scheduler.jobs()] == ["poll:test"]
        assert scheduler.jobs()[0].next_run is not None
    finally:
        await scheduler.stop()
    assert not scheduler.running


async def test_a_failing_job_is_reported_and_runs_again() -> None:
    failures: list[str] = []
    calls = 0
    second_run = asyncio.Event()

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        second_run.set()

    scheduler = Scheduler(on_failure=lambda job_id, exc: failures.append(f"{job_id}: {exc}"))
    scheduler.add_job("flaky", flaky, IntervalTrigger(seconds=1), run_now=True)
    scheduler.start()
    try:
        await asyncio.wait_for(second_run.wait(), WAIT)
    finally:
        await scheduler.stop()
    assert failures == ["flaky: boom"]


async def test_stop_waits_for_a_running_job_to_finish() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[bool] = []

    async def slow() -> None:
        started.set()
        await release.wait()
        finished.append(True)

    scheduler = Scheduler()
    scheduler.add_interval_job("slow", slow, 3600)
    scheduler.start()
    await asyncio.wait_for(started.wait(), WAIT)
    assert scheduler.jobs()[0].running

    stopping = asyncio.create_task(scheduler.stop(grace=WAIT))
    await asyncio.sleep(0)
    release.set()
    await asyncio.wait_for(stopping, WAIT)

    assert finished == [True]


async def test_stop_cancels_a_job_that_outlives_the_grace_period() -> None:
    started = asyncio.Event()
    outcome: list[str] = []

    async def stuck() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    scheduler = Scheduler()
    scheduler.add_interval_job("stuck", stuck, 3600)
    scheduler.start()
    await asyncio.wait_for(started.wait(), WAIT)

    await asyncio.wait_for(scheduler.stop(grace=0.05), WAIT)

    assert outcome == ["cancelled"]


async def test_jobs_can_be_replaced_and_removed() -> None:
    async def job() -> None:
        return None

    scheduler = Scheduler()
    scheduler.add_interval_job("a", job, 60, run_now=False)
    scheduler.add_interval_job("a", job, 120, run_now=False)
    scheduler.add_interval_job("b", job, 60, run_now=False)
    scheduler.start()
    try:
        assert [j.id for j in scheduler.jobs()] == ["a", "b"]
        assert scheduler.remove_job("a")
        assert not scheduler.remove_job("a")
        assert [j.id for j in scheduler.jobs()] == ["b"]
    finally:
        await scheduler.stop()


def test_interval_jitter_is_a_tenth_of_the_interval() -> None:
    assert interval_trigger(900).jitter == 90
    assert interval_trigger(4).jitter is None
