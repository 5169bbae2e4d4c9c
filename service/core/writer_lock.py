"""``writer_lock``: one writer at a time per collection, across threads and processes.

A collection's FAISS and lexical indexes are files that every process holds in memory and saves
whole. Two writers that each save their own copy would lose each other's changes, so every write
(an ingest, an upload job, a delete, a repair at load) runs under the collection's lock: it reloads
what the previous writer saved, changes it, and saves before letting go. Readers never take it;
they reload a newer save when they see one (``refresh_if_changed``).

The lock is ``flock`` on ``<index_dir>/<collection>.lock``: it holds between the threads of one
process (each acquisition opens the file anew) and between processes (server workers, a CLI
ingest), and the kernel releases it when its holder dies, so a crashed writer never blocks the next.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.core.errors import Conflict

_POLL_S = 0.05


def lock_path(index_dir: Path, collection: str) -> Path:
    return index_dir / f"{collection}.lock"


@contextmanager
def writer_lock(index_dir: Path, collection: str, wait_s: float | None = None) -> Iterator[None]:
    """Hold the write lock of ``collection``; wait for it at most ``wait_s`` seconds (None: as long as it takes).

    Raises ``Conflict`` naming the collection when ``wait_s`` passes first.
    """
    descriptor = _open(index_dir, collection)
    try:
        _acquire(descriptor, collection, wait_s)
        yield
    finally:
        os.close(descriptor)  # closing the last descriptor of the open file releases the lock


@contextmanager
def try_writer_lock(index_dir: Path, collection: str) -> Iterator[bool]:
    """Hold the write lock of ``collection`` if it is free now; yields whether it was taken."""
    descriptor = _open(index_dir, collection)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
        else:
            yield True
    finally:
        os.close(descriptor)


def _open(index_dir: Path, collection: str) -> int:
    index_dir.mkdir(parents=True, exist_ok=True)
    return os.open(lock_path(index_dir, collection), os.O_RDWR | os.O_CREAT, 0o644)


def _acquire(descriptor: int, collection: str, wait_s: float | None) -> None:
    if wait_s is None:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise Conflict(
                    f"collection {collection!r} is being written by an ingest (an upload job or 'docqa ingest'); "
                    "try again when it has finished",
                    detail={"collection": collection},
                ) from None
            time.sleep(_POLL_S)
