"""Rate limits: a token bucket per key, ``per_minute`` requests refilled continuously.

``RateLimiter`` keeps the buckets in its process, which is enough for one server worker.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod

from service.errors import RateLimited

REFILL_S = 60.0
"""Seconds an empty bucket takes to refill (``per_minute`` tokens a minute)."""


class TokenBucketLimiter(ABC):
    """Both limiters: ``check(key)`` spends one of the key's tokens or raises ``RateLimited``."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute

    @abstractmethod
    def check(self, key: str) -> None:
        """Spend one of ``key``'s tokens; ``RateLimited`` (saying when to retry) when none is left.
        ``per_minute <= 0`` never limits."""

    @abstractmethod
    def close(self) -> None:
        """Release what the limiter holds open (at the server's shutdown)."""

    def _refilled(self, tokens: float, elapsed_s: float) -> float:
        """A bucket's tokens after ``elapsed_s`` seconds of refill, capped at ``per_minute``."""
        return min(float(self.per_minute), tokens + elapsed_s * self.per_minute / REFILL_S)

    def _refusal(self, tokens: float) -> RateLimited:
        retry = (1 - tokens) * REFILL_S / self.per_minute
        return RateLimited(
            f"rate limit of {self.per_minute} requests per minute reached; retry in {retry:.1f} s",
            detail={"retry_after_s": round(retry, 1)},
        )


class RateLimiter(TokenBucketLimiter):
    """Buckets in this process's memory: for a server with one worker process."""

    def __init__(self, per_minute: int, max_buckets: int = 10_000) -> None:
        super().__init__(per_minute)
        self.max_buckets = max_buckets
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) >= self.max_buckets:
                self._forget_full(now)
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = self._refilled(tokens, now - last)
            if tokens < 1:
                raise self._refusal(tokens)
            self._buckets[key] = (tokens - 1, now)

    def close(self) -> None:
        """Nothing to release: the buckets go with the process."""

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled (a full bucket is the same as none), so many callers
        (client addresses while no key exists) cannot grow memory without bound."""
        stale = [key for key, (_, last) in self._buckets.items() if now - last >= REFILL_S]
        for key in stale:
            del self._buckets[key]
