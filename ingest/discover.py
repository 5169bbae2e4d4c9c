"""Find the files of a batch: folders are walked recursively, symlink loops are cut, hidden files skipped."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Candidate:
    """A file to ingest, or a path that could not be walked (``error`` set)."""

    path: Path
    source: str
    """Path relative to the root it was found under, with ``/`` separators."""
    error: str | None = None


def discover(roots: Sequence[Path]) -> Iterator[Candidate]:
    """Every regular file under ``roots`` (files given directly are yielded as they are).

    A folder reached twice through symbolic links is walked once; unreadable folders and broken
    links are reported as candidates with an error instead of stopping the walk.
    """
    for root in roots:
        if root.is_file():
            yield Candidate(root, root.name)
            continue
        if not root.is_dir():
            yield Candidate(root, root.name, f"{root}: no such file or folder")
            continue
        yield from _walk(root)


def _walk(root: Path) -> Iterator[Candidate]:
    seen: set[tuple[int, int]] = set()
    errors: list[OSError] = []
    for folder, subfolders, files in os.walk(root, followlinks=True, onerror=errors.append):
        while errors:
            error = errors.pop()
            failed = Path(error.filename) if error.filename else Path(folder)
            yield Candidate(failed, _relative(failed, root), f"{failed}: cannot read folder ({error.strerror})")
        status = os.stat(folder)
        identity = (status.st_dev, status.st_ino)
        if identity in seen:  # a symlink loop or a second link to a walked folder
            subfolders.clear()
            continue
        seen.add(identity)
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            source = _relative(path, root)
            if not path.exists():
                yield Candidate(path, source, f"{source}: broken symbolic link")
            elif path.is_file():
                yield Candidate(path, source)
    while errors:
        error = errors.pop()
        failed = Path(error.filename) if error.filename else root
        yield Candidate(failed, _relative(failed, root), f"{failed}: cannot read folder ({error.strerror})")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name
