"""Rate limits: a token bucket per key, ``per_minute`` requests refilled continuously.

``RateLimiter`` keeps the buckets in its process, which is enough for one server worker.
``SharedRateLimiter`` keeps them in a small SQLite file that every worker process on the machine opens
(``<data_dir>/ratelimit.sqlite``), so a client gets its limit once however many workers answer it,
and whichever worker its connection lands on. ``rate_limiter(settings, workers)`` picks one.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path

from service.core.errors import NotReady, RateLimited

log = logging.getLogger("docqa")

REFILL_S = 60.0
"""Seconds an empty bucket takes to refill (``per_minute`` tokens a minute)."""
SHARED_FILE = "ratelimit.sqlite"
BUSY_TIMEOUT_S = 5.0
"""How long a check waits for another worker's transaction before the request fails with 503."""
PRUNE_EVERY_S = 60.0
"""How often each process deletes the shared file's full buckets."""


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


class SharedRateLimiter(TokenBucketLimiter):
    """Buckets in a SQLite file shared by the server's worker processes on this machine.

    Each check is one short write transaction (``BEGIN IMMEDIATE``: read the bucket, update it,
    commit), so checks from every worker are serialised by SQLite's lock. The file is not the main
    database, which may be PostgreSQL on another machine: this one is local and disposable. WAL
    journal, ``synchronous=OFF``: a crash may lose buckets, which only refills them.

    Times are ``time.monotonic()``, read inside the transaction: on Linux it is ``CLOCK_MONOTONIC``,
    one clock for every process on the machine, and unlike ``time.time()`` it never jumps when the
    wall clock is set, so times in the file only grow. It restarts at boot while the file survives:
    a bucket whose time is ahead of the clock comes from before a reboot and counts as full.

    One connection per process behind a lock, opened again in a forked child (a SQLite connection
    must not cross a fork). A connection per thread measured about as cheap on average (14-19 us a
    check from one thread, a little less than the lock from four: tests/benchmarks/ratelimit_check.py),
    but threads of one process that collide then wait in SQLite's busy handler, which sleeps 1, 2, 5 ...
    100 ms: its slowest calls took 56 to 240 ms where the lock's mostly took 5 to 35 ms;
    and it would leave a connection open per pool thread.
    """

    def __init__(self, path: Path, per_minute: int, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        super().__init__(per_minute)
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._connection_pid = 0
        self._next_prune = 0.0
        if per_minute > 0:
            with self._lock:
                self._open()  # an unwritable data directory stops the start-up, not a request

    def check(self, key: str) -> None:
        if self.per_minute <= 0:
            return
        with self._lock:
            self._spend(self._open(), key)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._connection_pid == os.getpid():
                self._connection.close()
            self._connection = None

    def _open(self) -> sqlite3.Connection:
        """This process's connection, opened (and the file created) on first use."""
        pid = os.getpid()
        if self._connection is not None and self._connection_pid == pid:
            return self._connection
        # a connection inherited through a fork belongs to the parent: left alone, not closed
        self._connection = self.connect(self.path, self.busy_timeout_s)
        self._connection_pid = pid
        self._next_prune = 0.0
        return self._connection

    @staticmethod
    def connect(path: Path, busy_timeout_s: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
        """A connection to the buckets file, created if missing; transactions are begun explicitly."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as error:
            raise NotReady(f"cannot open the rate-limit file {path} ({error}); check the data directory") from error
        deadline = time.monotonic() + busy_timeout_s
        while True:
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=OFF")
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS buckets "
                    "(key TEXT PRIMARY KEY, tokens REAL NOT NULL, last REAL NOT NULL) WITHOUT ROWID"
                )
                return connection
            except sqlite3.Error as error:
                # Workers that open a new file at once race to switch it to WAL and create the table;
                # SQLite refuses the losers at once rather than run its busy wait (which could deadlock
                # two readers that both want to write), so they wait here.
                if is_busy(error) and time.monotonic() < deadline:
                    time.sleep(0.01)
                    continue
                connection.close()
                raise NotReady(
                    f"cannot set up the rate-limit file {path} ({error}); check the data directory"
                ) from error

    def _spend(self, connection: sqlite3.Connection, key: str) -> None:
        """One transaction: prune if due, refill ``key``'s bucket and spend a token; refuse after it ends."""
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise self._unavailable(error) from error
        try:
            now = time.monotonic()  # inside the lock, so every writer's times are in order
            if now >= self._next_prune:
                self._prune(connection, now)
            row = connection.execute("SELECT tokens, last FROM buckets WHERE key = ?", (key,)).fetchone()
            tokens = float(self.per_minute) if row is None or row[1] > now else self._refilled(row[0], now - row[1])
            if tokens >= 1:
                connection.execute(
                    "INSERT INTO buckets (key, tokens, last) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, last = excluded.last",
                    (key, tokens - 1, now),
                )
            connection.execute("COMMIT")  # a refusal commits too: its prune stands
        except BaseException as error:
            if connection.in_transaction:  # SQLite ends some failed transactions itself
                connection.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise self._unavailable(error) from error
            raise
        if tokens < 1:
            raise self._refusal(tokens)

    def _prune(self, connection: sqlite3.Connection, now: float) -> None:
        """Delete full buckets (a full bucket is the same as none) and those from before a reboot,
        so many callers (client addresses while no key exists) cannot grow the file without bound."""
        connection.execute(
            "DELETE FROM buckets WHERE tokens + (? - last) * ? >= ? OR last > ?",
            (now, self.per_minute / REFILL_S, self.per_minute, now),
        )
        self._next_prune = now + PRUNE_EVERY_S

    def _unavailable(self, error: sqlite3.Error) -> NotReady:
        """A 503 for the client; what went wrong, and where, for the server log."""
        log.warning("rate-limit file %s: %s", self.path, error)
        return NotReady(f"the rate limiter is unavailable ({type(error).__name__}); see the server log")


def is_busy(error: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds the lock (any SQLITE_BUSY variant)."""
    return error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
