"""Driving a rate limiter: checks until it refuses, and what a refusal must say."""

from __future__ import annotations

import pytest

from service.backends.rate_limit import TokenBucketLimiter
from service.core.errors import RateLimited


def refused(limiter: TokenBucketLimiter, key: str) -> float:
    """The retry-after, in seconds, of a check that must be refused."""
    with pytest.raises(RateLimited) as caught:
        limiter.check(key)
    assert f"rate limit of {limiter.per_minute} requests per minute reached" in caught.value.message
    retry: float = caught.value.detail["retry_after_s"]
    assert retry > 0, caught.value.detail
    return retry


def passed_until_refused(limiter: TokenBucketLimiter, key: str, at_most: int) -> int:
    for passed in range(at_most):
        try:
            limiter.check(key)
        except RateLimited:
            return passed
    return at_most
