"""The ``RateLimit`` contract (``service.core.seams``), over every implementation: ``RateLimiter`` (one process, in
memory) and ``SharedRateLimiter`` (worker processes, one SQLite file). Token buckets per key, refilled with time;
a refusal says when to retry."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.backends.rate_limit import RateLimiter, SharedRateLimiter, TokenBucketLimiter
from tests.support.limits import passed_until_refused, refused

MakeLimiter = Callable[[int], TokenBucketLimiter]


@pytest.fixture(params=["memory", "shared"])
def make_limiter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeLimiter]:
    """Limiters of one kind; the shared ones all on ``tmp_path/ratelimit.sqlite``."""
    made: list[TokenBucketLimiter] = []

    def make(per_minute: int) -> TokenBucketLimiter:
        limiter: TokenBucketLimiter
        if request.param == "memory":
            limiter = RateLimiter(per_minute)
        else:
            limiter = SharedRateLimiter(tmp_path / "ratelimit.sqlite", per_minute)
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        limiter.close()


def test_a_key_gets_per_minute_checks_then_a_retry_after(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(5)
    assert passed_until_refused(limiter, "key:a", at_most=50) == 5
    assert refused(limiter, "key:a") <= 12  # one token refills in 60 / 5 s
    limiter.check("key:b")  # each key has its own bucket


def test_a_bucket_refills_with_time(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(120)  # 2 tokens a second; spending 120 takes far less than the 0.5 s one refill needs
    assert passed_until_refused(limiter, "key:a", at_most=200) == 120
    retry = refused(limiter, "key:a")
    assert retry <= 0.5
    time.sleep(retry + 0.2)  # margin over the retry-after, rounded to 0.1 s
    passed = passed_until_refused(limiter, "key:a", at_most=200)
    assert 1 <= passed <= 10, passed  # refilled by what the time gave, not to the full bucket


def test_no_limit_and_no_file_when_per_minute_is_zero(make_limiter: MakeLimiter, tmp_path: Path) -> None:
    limiter = make_limiter(0)
    assert passed_until_refused(limiter, "key:a", at_most=1000) == 1000
    assert list(tmp_path.iterdir()) == []
