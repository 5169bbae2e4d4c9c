"""``FaissIndex``: one inner-product index per collection, ids = SQL chunk ids.

Vectors are normalised, so inner product is cosine similarity. A collection's index is exact, or approximate
(IVF, its vectors stored as ``float16`` or ``float32``) from ``IndexSettings.ivf_from`` vectors on
(``faiss_layout``): it is rebuilt into the other layout when it crosses that size, retrained when it grows
``retrain_factor`` times past the size it was trained at, and when the settings force the other layout or
another storage. The index is saved atomically
(temporary file, fsync, rename) beside a manifest that records what built it; an index built by
another embedder or other chunking settings is refused. SQL is the source of truth: after a
crash, ``reconcile`` adds what SQL has and FAISS lacks (from the stored vectors) and drops what
SQL no longer has.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from service.backends import faiss_layout
from service.backends.faiss_layout import Kind, Storage
from service.backends.saved_index import SavedIndex, write_atomically
from service.core.errors import IndexMismatch
from service.core.names import check_collection_name
from service.core.seams import DocumentStore, Vectors
from service.core.settings import IndexSettings

MANIFEST_VERSION = 1
DIRECT_FRACTION = 64
"""Search by scoring the allowed ids' vectors directly when they are at most 1/64 of what a search would visit:
a filtered scan tests most vectors against a bitmap without scoring them, while gathering a vector by id is a
random read. Measured in the ivf index of 1 M vectors (nprobe 32, loaded 2-core machine, CPU ms a query, scan
against direct): 1,000 allowed ids 5.3 against 0.44; 3,000: 4.4 against 1.9; 10,000: 2.9 against 8.5; 30,000:
4.4 against 29.7; in an exact index of 31k vectors the two tie at about 1,000 allowed ids."""

# One query is searched at a time per request: OpenMP threads inside a single flat search gain little on
# 2 cores and cost 4x when the cores are busy with other work (measured: 27 vs 127 ms p50 for 31k vectors
# on a loaded machine), so FAISS runs single-threaded; concurrent requests still use every core.
faiss.omp_set_num_threads(1)


@dataclass(frozen=True)
class IndexManifest:
    """What built an index; two manifests agree when every field but the layout's (``count``, ``kind``,
    ``nlist``, ``nprobe``, ``trained_at``, ``storage``) matches, since any layout serves the same vectors."""

    embedder: str
    dimension: int
    chunk_tokens: int
    overlap_tokens: int
    count: int = 0
    sections: bool = False
    headings: bool = False
    version: int = MANIFEST_VERSION
    kind: Kind = "exact"
    nlist: int = 0
    """k-means lists of an ``ivf`` index (0 for ``exact``)."""
    nprobe: int = 0
    """Lists an ``ivf`` search probed when it was saved (a setting, not part of the file)."""
    trained_at: int = 0
    """Vectors the ``ivf`` index held when its lists were trained."""
    storage: Storage = "float32"
    """How the index stores its vectors: ``float32``, or ``float16`` in an ``ivf`` index (``ivf_storage``)."""

    def mismatch(self, other: IndexManifest) -> list[str]:
        """Human-readable differences that make ``other``'s index unusable with these settings."""
        fields = ("version", "embedder", "dimension", "chunk_tokens", "overlap_tokens", "sections", "headings")
        return [
            f"{name}: index has {getattr(other, name)!r}, settings say {getattr(self, name)!r}"
            for name in fields
            if getattr(self, name) != getattr(other, name)
        ]


class FaissIndex(SavedIndex):
    """A collection's vectors in an exact or approximate (IVF) FAISS index (``faiss_layout``); thread-safe."""

    def __init__(
        self, directory: Path, collection: str, expected: IndexManifest, layout: IndexSettings | None = None
    ) -> None:
        self.collection = check_collection_name(collection)
        self.index_path = directory / f"{collection}.faiss"
        self.manifest_path = directory / f"{collection}.manifest.json"
        self.expected = expected
        self.layout = layout or IndexSettings()
        self._lock = threading.RLock()
        self._loaded_mtime: float | None = None
        self._dirty = False
        self._trained_at = 0
        self._index = self._load()
        self._fit()

    @property
    def kind(self) -> Kind:
        """The layout in use: ``exact`` or ``ivf``."""
        return faiss_layout.kind_of(self._index)

    @property
    def trained_at(self) -> int:
        """Vectors the ``ivf`` index held when its lists were trained (0 for ``exact``)."""
        return self._trained_at if self.kind == "ivf" else 0

    def _load(self) -> Any:
        if not self.manifest_path.exists() or not self.index_path.exists():
            self._trained_at = 0
            return faiss_layout.empty_exact(self.expected.dimension)
        stored = IndexManifest(**json.loads(self.manifest_path.read_text()))
        problems = self.expected.mismatch(stored)
        if problems:
            raise IndexMismatch(
                f"collection {self.collection!r} was indexed with other settings ({'; '.join(problems)}); "
                "restore those settings, or ingest into a new collection",
                detail={"collection": self.collection, "differences": problems},
            )
        self._loaded_mtime = self.manifest_path.stat().st_mtime
        index = faiss.read_index(str(self.index_path))
        self._trained_at = stored.trained_at or int(index.ntotal)
        return index

    def _wanted(self) -> Kind:
        """The layout the settings ask for at the current size (auto: with a margin below ``ivf_from`` so that a
        collection near it is not rebuilt back and forth)."""
        if self.layout.kind != "auto":
            return self.layout.kind
        count = int(self._index.ntotal)
        if self.kind == "ivf":
            return "ivf" if count * 2 >= self.layout.ivf_from else "exact"
        return "ivf" if count >= self.layout.ivf_from else "exact"

    def _fit(self) -> None:
        """Rebuild into the layout the settings want, or retrain an ``ivf`` index the collection has outgrown."""
        count = int(self._index.ntotal)
        wanted = self._wanted() if count else "exact"  # lists cannot be trained on nothing
        outgrown = self.kind == "ivf" and count >= self._trained_at * self.layout.retrain_factor
        restorage = self.kind == "ivf" and faiss_layout.storage_of(self._index) != self.layout.ivf_storage
        if wanted == self.kind and not outgrown and not restorage:
            return
        # Not marked dirty: the vectors are the same, so a rebuild at load must not stop this process from
        # refreshing to what other processes save (``newer_on_disk``); the next save writes the new layout.
        self._index = faiss_layout.rebuild(self._index, wanted, self.layout.ivf_storage)
        self._trained_at = count if wanted == "ivf" else 0

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: Sequence[int], vectors: Vectors) -> None:
        if not len(ids):
            return
        with self._lock:
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))
            self._dirty = True
            self._fit()

    def remove(self, ids: Sequence[int]) -> None:
        if not len(ids):
            return
        with self._lock:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))
            self._dirty = True
            self._fit()

    def ids(self) -> set[int]:
        with self._lock:
            return set(faiss_layout.all_ids(self._index).tolist())

    def search(self, query: Vectors, k: int, allowed_ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """Top ``k`` ``(chunk_id, cosine)`` pairs; ``allowed_ids`` filters before ranking."""
        with self._lock:
            if self._index.ntotal == 0 or k <= 0:
                return []
            if allowed_ids is not None and not len(allowed_ids):
                return []
            if allowed_ids is not None and len(allowed_ids) * DIRECT_FRACTION <= faiss_layout.visited(
                self._index, self.layout.nprobe, len(allowed_ids)
            ):
                # A few allowed ids (a routed document, a narrow filter): score their stored vectors
                # directly instead of scanning the index: 0.44 ms instead of 5.3 for 1,000 of 1 M (ivf).
                held, scores = self._scores(query, allowed_ids)
                best = np.lexsort((held, -scores))[:k]  # best first, ties by id
                return [(int(held[i]), float(scores[i])) for i in best]
            params = self._search_parameters(allowed_ids)
            scores, ids = self._index.search(
                np.ascontiguousarray(query, dtype=np.float32), min(k, self._index.ntotal), params=params
            )
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _search_parameters(self, allowed_ids: Sequence[int] | None) -> Any:
        """The filter (``allowed_ids``) and, for ``ivf``, the lists to probe: more under a filter."""
        selector = None if allowed_ids is None else faiss_layout.selector(allowed_ids)
        if self.kind == "exact":
            return None if selector is None else faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]  # the stub lacks sel
        nprobe = faiss_layout.probes(self._index, self.layout.nprobe, None if allowed_ids is None else len(allowed_ids))
        if selector is None:
            return faiss.SearchParametersIVF(nprobe=nprobe)  # type: ignore[call-arg]  # the stub lacks the fields
        return faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)  # type: ignore[call-arg]  # the stub lacks them

    def similarity(self, query: Vectors, ids: Sequence[int]) -> dict[int, float]:
        """Cosine of ``query`` and the stored vector of each of ``ids`` that the index holds."""
        with self._lock:
            held, scores = self._scores(query, ids)
        return dict(zip(held.tolist(), scores.tolist(), strict=True))

    def _scores(self, query: Vectors, ids: Sequence[int]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The ids among ``ids`` that the index holds, and their stored vectors' cosines to ``query``."""
        wanted = np.asarray(ids, dtype=np.int64)
        if not len(wanted):
            return wanted, np.zeros(0, dtype=np.float32)
        try:
            rows = self._index.reconstruct_batch(wanted)
        except RuntimeError:  # an id the index lacks (it is being repaired): look them up one by one
            held, found = [], []
            for chunk_id in wanted.tolist():
                try:
                    found.append(self._index.reconstruct(chunk_id))
                except RuntimeError:
                    continue
                held.append(chunk_id)
            wanted = np.asarray(held, dtype=np.int64)
            rows = np.asarray(found, dtype=np.float32).reshape(len(held), self.expected.dimension)
        # einsum's own loop, not BLAS: from about 1,500 rows numpy's matrix product hands off to OpenBLAS threads,
        # which cost 20 ms a call on a loaded machine (measured: 1,500 ids scored in 20 ms against 0.4 ms).
        scores = np.einsum(
            "ij,j->i", np.asarray(rows, dtype=np.float32), np.asarray(query, dtype=np.float32).reshape(-1)
        )
        return wanted, scores

    def save(self) -> None:
        """Write index then manifest atomically; the manifest is written last so it never names a newer index."""
        with self._lock:
            self.index_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.index_path, lambda path: faiss.write_index(self._index, str(path)))
            ivf = self.kind == "ivf"
            manifest = IndexManifest(
                **{
                    **asdict(self.expected),
                    "count": self.count,
                    "kind": self.kind,
                    "nlist": int(self._index.nlist) if ivf else 0,
                    "nprobe": self.layout.nprobe if ivf else 0,
                    "trained_at": self.trained_at,
                    "storage": faiss_layout.storage_of(self._index),
                }
            )
            write_atomically(self.manifest_path, lambda path: path.write_text(json.dumps(asdict(manifest), indent=1)))
            self._loaded_mtime = self.manifest_path.stat().st_mtime
            self._dirty = False

    def _reload(self) -> None:
        self._index = self._load()
        self._fit()

    def reconcile(self, store: DocumentStore) -> tuple[int, int]:
        """Make FAISS hold exactly the chunks SQL holds; returns ``(added, removed)``."""
        with self._lock:
            wanted = store.chunk_ids(self.collection)
            present = self.ids()
            extra = sorted(present - wanted)
            missing = sorted(wanted - present)
            self.remove(extra)
            if missing:
                found, vectors = store.vectors(missing, self.expected.dimension)
                self.add(found, vectors)
            if extra or missing:
                self.save()
            return len(missing), len(extra)
