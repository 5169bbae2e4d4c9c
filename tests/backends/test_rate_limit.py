"""What sharing adds to the rate limit contract (tests/backends/contracts/): two limiters on one SQLite file, as two
workers have them, real processes, a fork, stale buckets, a locked file; and which limiter the server picks."""

from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from service.backends.rate_limit import RateLimiter, SharedRateLimiter, TokenBucketLimiter
from service.components import rate_limiter
from service.core.errors import NotReady, RateLimited
from service.core.settings import ServerSettings, Settings
from tests.support.limits import passed_until_refused, refused


def test_two_limiters_on_one_file_share_a_bucket(tmp_path: Path) -> None:
    path = tmp_path / "ratelimit.sqlite"
    with (
        contextlib.closing(SharedRateLimiter(path, 5)) as first,
        contextlib.closing(SharedRateLimiter(path, 5)) as second,
    ):
        for limiter in (first, second, first, second, first):
            limiter.check("key:a")
        assert 0 < refused(second, "key:a") <= 12
        assert 0 < refused(first, "key:a") <= 12
        second.check("key:b")


def spend(path: str, per_minute: int, checks: int, start: Barrier, allowed: Queue[int | str]) -> None:
    """A worker process: opens the file at the same moment as the others (a new file, so they race to set
    it up), then checks ``checks`` times, carrying on past refusals as a server does. Puts how many
    passed, or the error that stopped it."""
    start.wait(timeout=60)
    passed = 0
    try:
        with contextlib.closing(SharedRateLimiter(Path(path), per_minute)) as limiter:
            for _ in range(checks):
                with contextlib.suppress(RateLimited):
                    limiter.check("key:a")
                    passed += 1
    except Exception as error:  # the test fails with it, instead of waiting for a count
        allowed.put(f"{type(error).__name__}: {error}")
        return
    allowed.put(passed)


@pytest.mark.slow
def test_worker_processes_share_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "ratelimit.sqlite"
    per_minute = 6  # one token refills in 10 s, far longer than the 16 checks take
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(4)
    allowed: Queue[int | str] = context.Queue()
    workers = [context.Process(target=spend, args=(str(path), per_minute, 4, start, allowed)) for _ in range(4)]
    for worker in workers:
        worker.start()
    counts = [allowed.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert all(isinstance(count, int) for count in counts), counts
    assert sum(int(count) for count in counts) == per_minute, counts
    with contextlib.closing(SharedRateLimiter(path, per_minute)) as fifth:
        refused(fifth, "key:a")


def test_a_forked_worker_shares_the_buckets_of_its_parent(tmp_path: Path) -> None:
    """A limiter made before a fork (a server that forks its workers) opens its own connection in the child."""
    with contextlib.closing(SharedRateLimiter(tmp_path / "ratelimit.sqlite", 4)) as limiter:
        limiter.check("key:a")
        context = multiprocessing.get_context("fork")
        allowed: Queue[int] = context.Queue()
        child = context.Process(target=lambda: allowed.put(passed_until_refused(limiter, "key:a", at_most=10)))
        child.start()
        assert allowed.get(timeout=60) == 3
        child.join(timeout=60)
        assert child.exitcode == 0
        refused(limiter, "key:a")


def test_full_buckets_are_deleted_and_a_bucket_from_before_a_reboot_counts_as_full(tmp_path: Path) -> None:
    path = tmp_path / "ratelimit.sqlite"
    with contextlib.closing(SharedRateLimiter(path, 600)) as limiter:
        limiter.check("key:refilled")
    time.sleep(0.2)  # 600 a minute: the one token spent comes back in 0.1 s
    with contextlib.closing(SharedRateLimiter(path, 600)) as limiter:
        limiter.check("key:new")  # a process's first check deletes full buckets
        assert bucket_keys(path) == ["key:new"]
        with contextlib.closing(sqlite3.connect(path)) as connection, connection:
            # an empty bucket stamped by the clock before it restarted at boot
            connection.execute("INSERT INTO buckets VALUES ('key:rebooted', 0.0, ?)", (time.monotonic() + 1e6,))
        limiter.check("key:rebooted")  # an empty bucket would refuse
        with contextlib.closing(sqlite3.connect(path)) as connection:
            (tokens,) = connection.execute("SELECT tokens FROM buckets WHERE key = 'key:rebooted'").fetchone()
        assert tokens == 599  # spent from a full bucket


def bucket_keys(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return [key for (key,) in connection.execute("SELECT key FROM buckets ORDER BY key")]


def test_a_file_locked_too_long_answers_not_ready(tmp_path: Path) -> None:
    path = tmp_path / "ratelimit.sqlite"
    with contextlib.closing(SharedRateLimiter(path, 5, busy_timeout_s=0.1)) as limiter:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as stuck:
            stuck.execute("BEGIN IMMEDIATE")  # a worker stopped inside its transaction
            with pytest.raises(NotReady, match="rate limiter is unavailable"):
                limiter.check("key:a")
            stuck.execute("ROLLBACK")
        limiter.check("key:a")


@pytest.mark.parametrize(("workers", "kind"), [(1, RateLimiter), (2, SharedRateLimiter)])
def test_several_workers_get_the_shared_limiter(tmp_path: Path, workers: int, kind: type[TokenBucketLimiter]) -> None:
    settings = Settings(data_dir=tmp_path, server=ServerSettings(rate_limit_per_minute=5))
    limiter = rate_limiter(settings, workers)
    try:
        assert type(limiter) is kind
        limiter.check("key:a")
        assert (tmp_path / "ratelimit.sqlite").exists() == (workers > 1)
    finally:
        limiter.close()
