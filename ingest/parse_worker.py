"""Parsing in a child process, so that a runaway file costs that process, never the server.

``ParseWorker`` keeps one child (a fresh interpreter, ``python -m ingest.parse_worker``: a fork of a threaded
server could inherit held locks, and multiprocessing's ``spawn`` would re-run the parent's main script) whose
address space is limited to ``worker_memory_mb`` (``RLIMIT_AS``). Each file is sent to it and
its ``ParsedDocument`` comes back; the parent waits at most the wall-time limit (plus a grace for the
parsers' own checks to speak first) and kills the child past it. A child that dies, is killed or runs out of
memory fails that file with a one-line reason and is replaced for the next file; ``should_stop`` kills it
to stop the file it is parsing (``ParseCancelled``).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ingest.parsers.errors import ParseError
from ingest.parsers.limits import MIB, LimitExceeded, ParseLimits, memory_exceeded, setting, time_exceeded
from service.core.domain import ParsedDocument

GRACE_S = 5.0
"""How long past ``max_parse_s`` the parent waits before it kills the child: the parsers check the clock
themselves and give the better reason when they can."""

POLL_S = 0.1


class ParseCancelled(Exception):
    """The file's parse was stopped because its job was cancelled; nothing is recorded for it."""


def _serve(connection: _Duplex, memory_mb: float) -> None:
    """The child: limit the address space, then parse every path sent until the parent hangs up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops the child
    limit = int(memory_mb * MIB)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    from ingest.parsers import parser_for  # after the limit: what the parsers load counts too

    while True:
        try:
            path_text, limits = connection.recv()
        except (EOFError, OSError):
            return
        path = Path(path_text)
        try:
            parser = parser_for(path)
            if parser is None:
                raise ParseError(f"{path.name}: unsupported file type")
            connection.send(("ok", parser(path, limits)))
        except MemoryError:
            connection.send(("memory", None))
            return  # a process that ran out of memory may be in any state: the next file gets a new one
        except LimitExceeded as error:
            connection.send(("limit", (error.message, error.limit)))
        except ParseError as error:
            connection.send(("error", (error.message, error.detail)))
        except Exception as error:  # reported as that file's reason; the worker goes on
            connection.send(("error", (f"{path.name}: unexpected {type(error).__name__}: {error}", None)))


class ParseWorker:
    """Runs parsers in a memory-limited child process; call it as ``worker(path, limits)``.

    ``should_stop``, when set, is asked every ``POLL_S`` while a file is parsed; once it answers True the child
    is killed and the call raises ``ParseCancelled``. One parse at a time; thread-safe.
    """

    def __init__(self, memory_mb: float) -> None:
        self.memory_mb = memory_mb
        self.should_stop: Callable[[], bool] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._to_child: Connection | None = None
        self._from_child: Connection | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The child's process id while one runs."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def __call__(self, path: Path, limits: ParseLimits) -> ParsedDocument:
        with self._lock:
            try:
                outcome = self._parse(path, limits)
            except BaseException:
                self._stop()  # killed, dead, cancelled or out of memory: the next file gets a fresh child
                raise
        if isinstance(outcome, ParseError):
            raise outcome  # the parser's own reason; the child goes on to the next file
        return outcome

    def _parse(self, path: Path, limits: ParseLimits) -> ParsedDocument | ParseError:
        process, to_child, from_child = self._start()
        try:
            to_child.send((str(path), limits))
        except OSError:  # the child died between files: start another
            self._stop()
            process, to_child, from_child = self._start()
            to_child.send((str(path), limits))
        deadline = time.monotonic() + limits.max_parse_s + GRACE_S
        while not from_child.poll(POLL_S):
            if self.should_stop is not None and self.should_stop():
                raise ParseCancelled(path.name)
            if process.poll() is not None and not from_child.poll(0):
                raise ParseError(self._death_reason(path, process.returncode), {"setting": setting("worker_memory_mb")})
            if time.monotonic() > deadline:
                raise LimitExceeded(time_exceeded(path.name, limits.max_parse_s), "max_parse_s")
        try:
            kind, payload = from_child.recv()
        except (EOFError, OSError) as error:
            raise ParseError(self._death_reason(path, process.wait(timeout=10))) from error
        if kind == "ok":
            parsed: ParsedDocument = payload
            return parsed
        if kind == "memory":
            raise LimitExceeded(memory_exceeded(path.name, self.memory_mb), "worker_memory_mb")
        if kind == "limit":
            message, limit = payload
            return LimitExceeded(message, limit)
        message, detail = payload
        return ParseError(message, detail)

    def _death_reason(self, path: Path, exitcode: int | None) -> str:
        if exitcode is not None and exitcode < 0:
            try:
                how = f"killed by {signal.Signals(-exitcode).name}"
            except ValueError:
                how = f"killed by signal {-exitcode}"
        else:
            how = f"exit status {exitcode}"
        return (
            f"{path.name}: the parser process stopped ({how}), most likely at its memory limit of "
            f"{self.memory_mb:,g} MB ({setting('worker_memory_mb')})"
        )

    def _start(self) -> tuple[subprocess.Popen[bytes], Connection, Connection]:
        if self._process is not None and self._process.poll() is None and self._to_child and self._from_child:
            return self._process, self._to_child, self._from_child
        self._stop()
        child_reads, parent_writes = os.pipe()
        parent_reads, child_writes = os.pipe()
        environment = dict(os.environ)
        # the child imports docqa from where this process does (a checkout on PYTHONPATH, tests)
        environment["PYTHONPATH"] = os.pathsep.join(entry for entry in sys.path if entry)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "ingest.parse_worker", str(child_reads), str(child_writes), str(self.memory_mb)],
                pass_fds=(child_reads, child_writes),
                stdin=subprocess.DEVNULL,
                env=environment,
            )
        finally:
            os.close(child_reads)
            os.close(child_writes)
        self._process = process
        self._to_child = Connection(parent_writes, readable=False)
        self._from_child = Connection(parent_reads, writable=False)
        return process, self._to_child, self._from_child

    def _stop(self) -> None:
        process, to_child, from_child = self._process, self._to_child, self._from_child
        self._process = self._to_child = self._from_child = None
        for connection in (to_child, from_child):
            if connection is not None:
                connection.close()
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)

    def close(self) -> None:
        """Stop the child; a later call starts a new one."""
        with self._lock:
            self._stop()


def main() -> None:
    """The child's entry: ``python -m ingest.parse_worker READ_FD WRITE_FD MEMORY_MB``."""
    read_fd, write_fd, memory_mb = sys.argv[1:4]
    receiving = Connection(int(read_fd), writable=False)
    sending = Connection(int(write_fd), readable=False)
    _serve(_Duplex(receiving, sending), float(memory_mb))


class _Duplex:
    """Two one-way pipes as one connection, for ``_serve``."""

    def __init__(self, receiving: Connection, sending: Connection) -> None:
        self.receiving = receiving
        self.sending = sending

    def recv(self) -> Any:
        return self.receiving.recv()

    def send(self, message: object) -> None:
        self.sending.send(message)


if __name__ == "__main__":
    main()
