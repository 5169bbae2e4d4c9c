"""What every saved index shares: atomic writes, and noticing that another process saved a newer copy.

``FaissIndex`` and ``Bm25Index`` are derived from SQL and saved beside a manifest written last; the
manifest's modification time tells a process whether its copy in memory is still the newest.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(temporary_path)``, fsync it, and rename it over ``path`` (then fsync the folder)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class SavedIndex:
    """What ``FaissIndex`` and ``Bm25Index`` share: a manifest file whose modification time says whether
    another process (a CLI ingest, another server worker) saved a newer index than the one in memory.

    The subclass sets ``manifest_path``, ``_lock``, ``_loaded_mtime`` (when it reads or writes the
    manifest) and ``_dirty`` (unsaved changes, which a reload must never drop), and reloads in ``_reload``.
    """

    manifest_path: Path
    _lock: threading.RLock
    _loaded_mtime: float | None
    _dirty: bool

    def _reload(self) -> None:
        raise NotImplementedError

    def newer_on_disk(self) -> bool:
        """Whether another process saved the index since this one read it (one ``stat``, no lock)."""
        try:
            mtime = self.manifest_path.stat().st_mtime
        except FileNotFoundError:
            return False
        return mtime != self._loaded_mtime and not self._dirty

    def refresh_if_changed(self) -> bool:
        """Reload when another process saved a newer index; returns whether it did."""
        if not self.newer_on_disk():
            return False  # the usual case, decided without the lock that searches hold
        with self._lock:
            if not self.newer_on_disk():
                return False
            self._reload()
            return True
