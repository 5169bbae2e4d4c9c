"""The two layouts a collection's FAISS index takes, and how one is rebuilt into the other.

- ``exact``: ``IndexIDMap2(IndexFlatIP)``, every vector scanned per query (recall 1; 65 ms at 1 M vectors).
- ``ivf``: an inverted file on inner product, its own int64 ids, a hash-table direct map so that a vector is
  found by id (``reconstruct``, ``remove_ids``). Its k-means lists are trained on the collection's vectors;
  a query scans ``nprobe`` of them. The lists store each vector as ``float16`` (``IndexIVFScalarQuantizer``,
  ``QT_fp16``, not by residual: the default) or ``float32`` (``IndexIVFFlat``). A probe of 1 M vectors is
  bound by the bytes it reads, so half-size vectors scan about 1.5 times faster and take half the memory; a
  score is then the cosine to the vector rounded to ``float16`` (within about 1e-4 of the exact cosine for
  MiniLM's 384 dimensions). With ``float32`` a score is the exact cosine, and a search that probes every list
  gives exactly the exact layout's answer.

Both hold the same vectors as SQL (the source of truth, which crash repair adds back from), so a rebuild reads
the vectors from the index in memory, list by list, never all of them copied at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import faiss
import numpy as np
import numpy.typing as npt

Kind = Literal["exact", "ivf"]
Storage = Literal["float32", "float16"]
Ids = npt.NDArray[np.int64]
Rows = npt.NDArray[np.float32]

TRAIN_PER_LIST = 64
"""Training vectors per k-means list: FAISS asks for at least 39; more costs training time for little gain."""
_BITMAP_IDS = 1 << 26
"""Ids below this are filtered with a bitmap (at most 8 MiB, 0.25 ms to build for 100k ids below 1 M), unless
that bitmap would hold more than ``_BITMAP_BITS_PER_ID`` bits per allowed id (a few ids, large keys); other
filters use FAISS's hash set, whose construction costs 10 ms for 100k ids but little for a few."""
_BITMAP_BITS_PER_ID = 256
FILTER_ROOT = 4
"""A filtered search probes ``nprobe`` times this root of the inverse share of the vectors it allows (``probes``)."""
_BLOCK = 65_536
"""Vectors of the exact layout copied into a new index per call (bounds the temporary copies)."""


def empty_exact(dimension: int) -> Any:
    """An empty exact index."""
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def kind_of(index: Any) -> Kind:
    """The layout of ``index`` (as built here or read from a file)."""
    return "ivf" if isinstance(index, faiss.IndexIVF) else "exact"


def storage_of(index: Any) -> Storage:
    """How ``index`` stores its vectors (``exact`` always as ``float32``)."""
    return "float16" if isinstance(index, faiss.IndexIVFScalarQuantizer) else "float32"


def list_count(vectors: int) -> int:
    """k-means lists for a collection of ``vectors``: about their square root (FAISS's rule of thumb, from
    4·√n down to √n), so that a list holds about √n vectors and probing a few keeps the scan near 16·√n."""
    return max(1, min(vectors, round(math.sqrt(vectors))))


def probes(index: Any, nprobe: int, allowed: int | None) -> int:
    """Lists to scan: ``nprobe``, times the inverse fourth root (``FILTER_ROOT``) of the share of vectors a
    filter allows, at most every list. A list holds only that share of candidates, so the allowed top k lie
    farther out. Measured at 1 M vectors (float16, nprobe 32, recall@10 0.96 unfiltered): scaling by the inverse
    square root over-probed (recall@10 0.999 with 10 % of the ids allowed, 1.000 with 1 %, at 1.8 and 1.4 times
    the unfiltered CPU time); the fourth root probes 57 and 101 lists instead of 102 and 320."""
    nlist, count = int(index.nlist), int(index.ntotal)
    if allowed is None or allowed >= count:
        return min(nlist, nprobe)
    widen: float = (count / max(1, allowed)) ** (1 / FILTER_ROOT)
    return min(nlist, math.ceil(nprobe * widen))


def visited(index: Any, nprobe: int, allowed: int | None) -> int:
    """About how many stored vectors a search of ``index`` looks at."""
    if kind_of(index) == "exact":
        return int(index.ntotal)
    return math.ceil(int(index.ntotal) * probes(index, nprobe, allowed) / max(1, int(index.nlist)))


def selector(ids: Sequence[int]) -> Any:
    """A FAISS filter that lets through ``ids`` only: a bitmap of the ids (cheap to build and to test, the
    usual case: chunk ids are SQL keys, dense from 1), else a hash set."""
    wanted = np.asarray(ids, dtype=np.int64)
    largest = int(wanted.max()) if len(wanted) else 0
    bitmap_fits = largest < min(_BITMAP_IDS, _BITMAP_BITS_PER_ID * len(wanted) + _BLOCK)
    if len(wanted) and int(wanted.min()) >= 0 and bitmap_fits:
        bits = np.zeros(largest + 1, dtype=bool)
        bits[wanted] = True
        packed = np.packbits(bits, bitorder="little")  # FAISS reads bit (id % 8) of byte id // 8
        # FAISS's wrapper keeps the array alive with the selector, and the search parameters keep the selector
        return faiss.IDSelectorBitmap(packed)  # type: ignore[call-arg,arg-type]  # the stub has only (n, pointer)
    return faiss.IDSelectorBatch(wanted)


def all_ids(index: Any) -> Ids:
    """Every id ``index`` holds."""
    if kind_of(index) == "exact":
        return faiss.vector_to_array(index.id_map).astype(np.int64, copy=False)
    parts = [ids for ids, _ in _ivf_lists(index)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def blocks(index: Any) -> Iterator[tuple[Ids, Rows]]:
    """``(ids, vectors)`` of everything ``index`` holds, in blocks that are views of its memory (valid until it
    changes; a ``float16`` index's vectors are decoded copies)."""
    if kind_of(index) == "ivf":
        yield from _ivf_lists(index)
        return
    count, dimension = int(index.ntotal), int(index.d)
    if not count:
        return
    ids = faiss.vector_to_array(index.id_map).astype(np.int64, copy=False)
    flat: Any = faiss.downcast_index(index.index)  # the IndexFlatIP inside, whose get_xb the stub lacks
    rows = faiss.rev_swig_ptr(flat.get_xb(), count * dimension).reshape(count, dimension)
    for start in range(0, count, _BLOCK):
        yield ids[start : start + _BLOCK], rows[start : start + _BLOCK]


def _ivf_lists(index: Any) -> Iterator[tuple[Ids, Rows]]:
    """Each list's ids and vectors: views of a ``float32`` index's memory, decoded copies of a ``float16`` one's."""
    lists, dimension = index.invlists, int(index.d)
    half = storage_of(index) == "float16"
    width = 2 if half else 4
    for number in range(int(index.nlist)):
        size = int(lists.list_size(number))
        if not size:
            continue
        ids = faiss.rev_swig_ptr(lists.get_ids(number), size)
        codes = faiss.rev_swig_ptr(lists.get_codes(number), size * dimension * width)
        if half:  # QT_fp16 codes are the IEEE half floats themselves, in order
            yield ids, codes.view(np.float16).reshape(size, dimension).astype(np.float32)
        else:
            yield ids, codes.view(np.float32).reshape(size, dimension)


def rebuild(index: Any, kind: Kind, storage: Storage = "float16", seed: int = 0) -> Any:
    """A new index of layout ``kind`` holding what ``index`` holds; an ``ivf`` one stores its vectors as
    ``storage`` and is trained on a sample of ``TRAIN_PER_LIST`` vectors per list (``seed`` picks them).
    Peak memory: both indexes at once."""
    dimension, count = int(index.d), int(index.ntotal)
    if kind == "exact" or count == 0:
        rebuilt = empty_exact(dimension)
    else:
        quantizer = faiss.IndexFlatIP(dimension)
        nlist, metric = list_count(count), faiss.METRIC_INNER_PRODUCT
        if storage == "float16":  # not by residual: a code is the vector itself, decoded without its list
            half = faiss.ScalarQuantizer.QT_fp16
            rebuilt = faiss.IndexIVFScalarQuantizer(quantizer, dimension, nlist, half, metric, False)
        else:
            rebuilt = faiss.IndexIVFFlat(quantizer, dimension, nlist, metric)
        rebuilt.cp.spherical = True  # centroids of unit vectors, compared by inner product
        rebuilt.cp.min_points_per_centroid = 1  # a forced ivf on a small collection trains on what there is
        rebuilt.train(_sample(index, TRAIN_PER_LIST * int(rebuilt.nlist), seed))
        rebuilt.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]  # not in the stub
    for ids, rows in blocks(index):
        rebuilt.add_with_ids(np.ascontiguousarray(rows), np.ascontiguousarray(ids))
    return rebuilt


def _sample(index: Any, size: int, seed: int) -> Rows:
    """``size`` vectors of ``index`` chosen at random (all of them when it holds fewer)."""
    count = int(index.ntotal)
    chosen = np.sort(np.random.default_rng(seed).choice(count, size=min(size, count), replace=False))
    parts, start = [], 0
    for _, rows in blocks(index):
        inside = chosen[(chosen >= start) & (chosen < start + len(rows))] - start
        parts.append(np.array(rows[inside], dtype=np.float32))
        start += len(rows)
    return np.ascontiguousarray(np.vstack(parts))
