"""Measure one rate-limit check (microseconds) of each limiter, from 1 and 4 threads, and 2 processes.

Run from the repository root:  .venv/bin/python tests/benchmarks/ratelimit_check.py [--checks 5000] [--repeats 3]
Limiters: ``RateLimiter`` (memory), ``SharedRateLimiter`` (one SQLite connection per process behind a lock,
as shipped) and, for comparison, the same file with one connection per thread and no lock. The limit is
so high that every check passes and writes, on 50 keys in turn. Per check: wall time of all checks over
their number (what a server's throughput feels), and the mean, 99th percentile and longest call (what a
request waits: with a connection per thread, threads of one process that collide wait in SQLite's busy
handler, which sleeps 1, 2, 5, 10 ... 100 ms). The longest call is noisy on a shared machine: run it twice.
The best of ``--repeats`` runs is printed with the load average, because these machines are shared.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path

from service.backends.rate_limit import RateLimiter, SharedRateLimiter, TokenBucketLimiter

UNLIMITED = 10**9  # every check passes, and so writes its bucket
KEYS = [f"key:{number}" for number in range(50)]


class ThreadConnectionLimiter(SharedRateLimiter):
    """The alternative measured: one connection per thread, no lock (SQLite's own lock serialises)."""

    def __init__(self, path: Path, per_minute: int) -> None:
        super().__init__(path, per_minute)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []

    def check(self, key: str) -> None:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self.connect(self.path)
            self._opened.append(connection)
        self._spend(connection, key)

    def close(self) -> None:
        for connection in self._opened:
            connection.close()
        super().close()


def timed(workers: Sequence[threading.Thread | BaseProcess], release: Callable[[], object]) -> float:
    """Seconds from releasing ``workers`` (each waits at a barrier that ``release`` completes) until all end."""
    for worker in workers:
        worker.start()
    release()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def run_threads(limiter: TokenBucketLimiter, threads: int, checks: int) -> tuple[float, float, float, float]:
    """Microseconds for ``checks`` checks in all: wall per check; mean, 99th percentile and longest call."""
    per_thread = checks // threads
    calls: list[float] = []
    barrier = threading.Barrier(threads + 1)

    def work(index: int) -> None:
        barrier.wait()
        durations = []
        for number in range(per_thread):
            started = time.perf_counter()
            limiter.check(KEYS[(number + index) % len(KEYS)])
            durations.append(time.perf_counter() - started)
        calls.extend(durations)

    wall = timed([threading.Thread(target=work, args=(index,)) for index in range(threads)], barrier.wait)
    calls.sort()
    return wall / len(calls) * 1e6, statistics.fmean(calls) * 1e6, calls[int(len(calls) * 0.99)] * 1e6, calls[-1] * 1e6


def process_checks(path: str, checks: int, start: Callable[[], object]) -> None:
    limiter = SharedRateLimiter(Path(path), UNLIMITED)
    start()
    for number in range(checks):
        limiter.check(KEYS[number % len(KEYS)])
    limiter.close()


def run_processes(path: Path, processes: int, checks: int) -> float:
    """Wall microseconds per check for ``checks`` checks spread over ``processes`` spawned processes."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    workers = [
        context.Process(target=process_checks, args=(str(path), checks // processes, barrier.wait))
        for _ in range(processes)
    ]
    return timed(workers, barrier.wait) / (checks // processes * processes) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores, SQLite {sqlite3.sqlite_version}")
    print(f"{'limiter':<34} {'threads':>7} {'wall us/check':>14} {'us per call':>12} {'p99 us':>8} {'max us':>8}")
    with tempfile.TemporaryDirectory() as folder:
        makers: list[tuple[str, Callable[[Path], TokenBucketLimiter]]] = [
            ("RateLimiter (memory)", lambda _path: RateLimiter(UNLIMITED)),
            ("SharedRateLimiter (lock)", lambda path: SharedRateLimiter(path, UNLIMITED)),
            ("connection per thread (rejected)", lambda path: ThreadConnectionLimiter(path, UNLIMITED)),
        ]
        for name, make in makers:
            for threads in (1, 4):
                best: tuple[float, float, float, float] | None = None
                for repeat in range(args.repeats):
                    limiter = make(Path(folder) / f"{name[:6]}-{threads}-{repeat}.sqlite")
                    limiter.check(KEYS[0])  # opens the per-thread connection of the main thread, if any
                    measured = run_threads(limiter, threads, args.checks)
                    limiter.close()
                    best = measured if best is None or measured[0] < best[0] else best
                assert best is not None
                print(f"{name:<34} {threads:>7} {best[0]:>14.1f} {best[1]:>12.1f} {best[2]:>8.0f} {best[3]:>8.0f}")
        across = min(run_processes(Path(folder) / f"processes-{n}.sqlite", 2, args.checks) for n in range(args.repeats))
        print(f"{'SharedRateLimiter, 2 processes':<34} {'1 each':>7} {across:>14.1f}")


if __name__ == "__main__":
    main()
