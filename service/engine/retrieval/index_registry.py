"""``IndexRegistry``: which vector and lexical index serves each collection, loaded lazily and once per process.

An index is opened on first use, then reconciled with SQL (crash repair) unless another writer holds
the collection; afterwards every use only checks, with one ``stat``, whether another process (a CLI
ingest, another server worker) saved a newer copy, and reloads it then. Which implementation is
opened is the composition root's choice (``service.components``): the registry sees only the seams.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from service.core.names import check_collection_name
from service.core.seams import DerivedIndex, DocumentStore, LexicalIndex, VectorIndex
from service.core.writer_lock import try_writer_lock

_Index = TypeVar("_Index", bound=DerivedIndex)


class IndexRegistry:
    """The indexes of every collection this process has used; thread-safe."""

    def __init__(
        self,
        index_dir: Path,
        store: Callable[[], DocumentStore],
        open_vector: Callable[[str], VectorIndex],
        open_lexical: Callable[[str], LexicalIndex],
    ) -> None:
        self.index_dir = index_dir
        self._store = store
        self._open_vector = open_vector
        self._open_lexical = open_lexical
        self._lock = threading.RLock()
        self._vectors: dict[str, VectorIndex] = {}
        self._lexicals: dict[str, LexicalIndex] = {}
        self.repairs: list[str] = []
        """Messages about indexes repaired from SQL at load (shown by the CLI and logged by the server)."""

    def vector(self, collection: str) -> VectorIndex:
        """The collection's vector index, loaded once and reconciled with SQL (crash repair)."""
        return self._loaded_once(self._vectors, collection, self._load_vector)

    def lexical(self, collection: str) -> LexicalIndex:
        """The collection's lexical index, loaded once and reconciled with SQL chunk text."""
        return self._loaded_once(self._lexicals, collection, self._load_lexical)

    def ready(self, collection: str) -> bool:
        """Whether a search of ``collection`` finds its indexes loaded, current and built, so that it has no
        slow loading of its own to do (a few ``stat`` calls). ``/v1/search`` asks before it ranks on the event loop."""
        vector, lexical = self._vectors.get(collection), self._lexicals.get(collection)
        if vector is None or lexical is None:
            return False
        return not vector.newer_on_disk() and not lexical.newer_on_disk() and lexical.built

    def prepare(self, collection: str) -> None:
        """Load, reload and build what ``ready`` found missing (0.5 s for 31k chunks here, more for larger
        collections)."""
        self.vector(collection)
        self.lexical(collection).build()

    def save_all(self) -> None:
        """Save every loaded index that has unsaved changes."""
        with self._lock:
            for vector in self._vectors.values():
                vector.save()
            for lexical in self._lexicals.values():
                lexical.save()

    def _loaded_once(self, cache: dict[str, _Index], collection: str, load: Callable[[str], _Index]) -> _Index:
        """``cache[collection]``: loaded under the lock the first time, then only refreshed from disk when
        another process saved a newer one (without the lock, which every request would queue on)."""
        check_collection_name(collection)
        loaded = cache.get(collection)
        if loaded is not None:
            loaded.refresh_if_changed()
            return loaded
        with self._lock:
            if collection not in cache:
                cache[collection] = load(collection)
            return cache[collection]

    def _load_vector(self, collection: str) -> VectorIndex:
        vector = self._open_vector(collection)
        return self._reconciled(vector, "repaired the index", "chunk vectors restored", "stale vectors dropped")

    def _load_lexical(self, collection: str) -> LexicalIndex:
        lexical = self._open_lexical(collection)
        return self._reconciled(lexical, "rebuilt the lexical index", "chunks indexed", "stale chunks dropped")

    def _reconciled(self, index: _Index, done: str, added_what: str, removed_what: str) -> _Index:
        """``index`` made to hold exactly what SQL holds; a repair is recorded in ``repairs``.

        Only while no other writer holds the collection (``writer_lock``): a writer at work saves what it
        adds, and this process reloads that save; repairing beside it would only race it."""
        with try_writer_lock(self.index_dir, index.collection) as free:
            if not free:
                return index
            added, removed = index.reconcile(self._store())
        if added or removed:
            self.repairs.append(
                f"{done} of collection {index.collection!r} from the database: "
                f"{added} {added_what}, {removed} {removed_what}"
            )
        return index
