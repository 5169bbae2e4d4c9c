"""Ingestion on Ray: files are read on the cluster's workers and embedded by its actors; the writer stays here.

    driver (this process)              Ray workers (any machine)            embedding actors (one per machine)
    discover, check (hash, unchanged)  -> parse, OCR, court structure,  ->  the ONNX model, loaded once per actor:
    store in order, one transaction       chunks, entities, citations       embed_documents(chunks of one file)
    per document, under the writer lock   (a task per file)

Only the driver touches the database and the indexes, so the collection's single writer, its lock and its one
transaction per document are the serial ones (``IngestPipeline.check`` and ``finish``), and so is crash repair:
a killed driver leaves what a killed serial ingest leaves. Each file's reading and embedding are the serial
code (``DocumentMaker``, ``Embedder.embed_documents`` on that file's chunks alone, since the int8 model's
dynamic quantisation depends on the whole batch), so the rows and vectors are byte for byte the serial ones.

A file's task runs in a worker process; a worker that dies (killed, out of memory) is replaced and its task
run again up to ``DOCQA_RAY__MAX_RETRIES`` times, as an embedding actor is restarted; past that the file
fails with a reason. Any other failure is caught where it happens and reported as serial ingest reports it.

``ray`` is imported only here and only when used: it is the optional extra ``docqa[ray]``.
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ingest.discover import Candidate
from ingest.pipeline import IngestPipeline
from ingest.stages import DocumentMaker, FileWork, PreparedFile, failure_reason
from service.core.errors import DocqaError
from service.core.ingestion import FileResult
from service.core.seams import Embedder, Vectors
from service.core.settings import LOCAL_RAY, RaySettings

MISSING_RAY = (
    "Ray is not installed: ingesting on Ray needs docqa's extra 'ray' (pip install 'docqa[ray]'), "
    "on this machine and on every machine of the cluster"
)


def require_ray() -> ModuleType:
    """The ``ray`` module, or a ``DocqaError`` that says which extra to install."""
    try:
        import ray
    except ImportError as error:
        raise DocqaError(MISSING_RAY, {"extra": "docqa[ray]"}) from error
    return ray


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Raise a ``DocqaError`` when ``address`` names a head (``HOST:PORT``) that does not answer: ``ray.init``
    would retry it for minutes, saying little."""
    host, colon, port = address.rpartition(":")
    if not colon or not port.isdigit() or "://" in address:
        return  # "local", "auto" and ray:// client addresses are Ray's to resolve
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as error:
        raise DocqaError(
            f"cannot reach the Ray head at {address}: {error.strerror or error} (check DOCQA_RAY__ADDRESS or "
            "--ray-address, that the head runs, and that its port is open to this machine)",
            {"address": address},
        ) from error


@dataclass(frozen=True)
class Failed:
    """A file that failed on the cluster, with the reason serial ingest would give."""

    reason: str


Read = PreparedFile | Failed
Embedded = tuple[PreparedFile, Vectors] | Failed

_makers: dict[str, DocumentMaker] = {}
"""The maker of each ingest this worker process served, by object id: unpickled once (its tokenizer takes
~50 ms), not once per file."""


def read_file(maker_ref: list[Any], path: Path, source: str) -> Read:
    """A Ray task: read one file with the ingest's ``DocumentMaker`` (passed in a list, so Ray does not fetch
    it for every task)."""
    ray = require_ray()
    key = maker_ref[0].hex()
    maker = _makers.get(key)
    if maker is None:
        maker = _makers[key] = ray.get(maker_ref[0])
    try:
        return maker(path)
    except Exception as error:  # reported as the file's reason, as serial ingest does
        return Failed(failure_reason(source, error))


class EmbeddingActor:
    """A Ray actor holding one loaded embedding model."""

    def __init__(self, embedder: Callable[[], Embedder]) -> None:
        self.embedder = embedder()

    def embed(self, read: Read, source: str) -> Embedded:
        if isinstance(read, Failed):
            return read
        try:
            return read, self.embedder.embed_documents(read.embedding_texts())
        except Exception as error:  # reported as the file's reason, as serial ingest does
            return Failed(failure_reason(source, error))


@dataclass
class _Pending:
    """A file between its check and its result: done on the writer (``result``), or read and embedded on the
    cluster (``read``, ``embedded``: Ray object references)."""

    candidate: Candidate
    work: FileWork | None = None
    result: FileResult | None = None
    read: Any = None
    embedded: Any = None


class RayIngest:
    """A ``Distributor`` on a Ray cluster: joined at ``address``, or a local Ray started on first use.

    ``embedder`` builds the embedding model in each actor: it is pickled, so it must be a module-level
    function or a ``functools.partial`` of one. One instance per process; it keeps its actors between batches.
    """

    def __init__(self, settings: RaySettings, embedder: Callable[[], Embedder], address: str | None = None) -> None:
        self.settings = settings
        self.address = address or settings.address or LOCAL_RAY
        self._embedder = embedder
        self._actors: list[Any] = []
        self._next_actor = 0
        self._cpus = 1

    def connect(self) -> None:
        """Join the cluster (or start the local Ray) and its embedding actors, once."""
        ray = require_ray()
        if not ray.is_initialized():
            check_reachable(self.address)
            try:
                if self.address == LOCAL_RAY:
                    ray.init(
                        address=LOCAL_RAY,
                        num_cpus=self.settings.num_cpus or os.cpu_count() or 1,
                        include_dashboard=False,
                        configure_logging=False,
                    )
                else:
                    ray.init(address=self.address, configure_logging=False)
            except Exception as error:  # Ray raises ConnectionError, RuntimeError or ValueError here
                raise DocqaError(
                    f"cannot start or join Ray at {self.address!r}: {error} (check DOCQA_RAY__ADDRESS or "
                    "--ray-address, and that the cluster runs the same Ray version)",
                    {"address": self.address},
                ) from error
        self._cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        if self._actors:
            return
        count = self.settings.embed_actors or len([node for node in ray.nodes() if node.get("Alive")])
        actor = ray.remote(EmbeddingActor).options(
            # No CPU reserved: an actor that held one would keep it from the file tasks while it waits,
            # and the model's own threads use the machine's cores anyway. SPREAD: one per machine.
            num_cpus=0,
            max_restarts=self.settings.max_retries,
            max_task_retries=self.settings.max_retries,
            scheduling_strategy="SPREAD",
        )
        self._actors = [actor.remote(self._embedder) for _ in range(max(1, count))]

    def results(self, pipeline: IngestPipeline, candidates: Iterable[Candidate]) -> Generator[FileResult]:
        """Check each candidate here, read and embed it on the cluster, store it here; yield results in order.

        At most a few files per CPU of the cluster are in flight, which bounds the driver's memory. When the
        caller stops early, the files still on the cluster are cancelled and nothing more is stored.
        """
        ray = require_ray()
        self.connect()
        maker_ref = ray.put(pipeline.maker)
        task = ray.remote(read_file).options(max_retries=self.settings.max_retries)
        window = 2 * self._cpus + len(self._actors)
        pending: deque[_Pending] = deque()
        waiting = iter(candidates)
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < window:
                    candidate = next(waiting, None)
                    if candidate is None:
                        exhausted = True
                        break
                    # Two roots can hold the same source: it is checked once the earlier one is stored.
                    while any(item.candidate.source == candidate.source for item in pending):
                        yield self._finish(pipeline, pending.popleft())
                    pending.append(self._submit(pipeline, candidate, task, maker_ref))
                if not pending:
                    return
                yield self._finish(pipeline, pending.popleft())
        finally:
            for item in pending:
                for ref in (item.embedded, item.read):
                    if ref is not None:
                        ray.cancel(ref, force=False)

    def _submit(self, pipeline: IngestPipeline, candidate: Candidate, task: Any, maker_ref: Any) -> _Pending:
        work = pipeline.check(candidate)
        if isinstance(work, FileResult):
            return _Pending(candidate, result=work)
        read = task.remote([maker_ref], work.path, work.source)
        actor = self._actors[self._next_actor % len(self._actors)]
        self._next_actor += 1
        return _Pending(candidate, work, read=read, embedded=actor.embed.remote(read, work.source))

    def _finish(self, pipeline: IngestPipeline, item: _Pending) -> FileResult:
        if item.result is not None:
            return item.result
        assert item.work is not None
        ray = require_ray()
        try:
            embedded: Embedded = ray.get(item.embedded)
        except ray.exceptions.RayError as error:
            retries = self.settings.max_retries
            return pipeline.fail(
                item.work,
                f"{item.work.source}: the Ray worker reading or embedding it stopped {retries + 1} times "
                f"({type(error).__name__}; DOCQA_RAY__MAX_RETRIES is {retries})",
            )
        if isinstance(embedded, Failed):
            return pipeline.fail(item.work, embedded.reason)
        prepared, vectors = embedded
        return pipeline.finish(item.work, prepared, vectors)

    def close(self) -> None:
        """Let the actors go (a local Ray stops with this process)."""
        if self._actors:
            ray = require_ray()
            for actor in self._actors:
                ray.kill(actor)
            self._actors = []
