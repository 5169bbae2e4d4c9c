"""Saving and loading a lexical index: its token arrays (``<collection>.lexical.npz``), then a manifest
(``<collection>.lexical.json``) written last, each atomically, so a manifest never names newer data.

Like FAISS, the index is derived from SQL: a saved index that is missing, unreadable, or of another
``LEXICAL_RECIPE`` or version is simply not loaded, and ``reconcile`` rebuilds it from SQL chunk text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from service.backends.lexical.state import IndexedDocument, LexicalState
from service.backends.lexical.vocabulary import IntArray, Vocabulary
from service.backends.saved_index import write_atomically

LEXICAL_RECIPE = 1
"""Bump when tokenisation or what is indexed changes: a saved index of another recipe is rebuilt from SQL."""


@dataclass(frozen=True)
class LexicalManifest:
    """What a saved lexical index holds; an index of another ``recipe`` or ``version`` is rebuilt."""

    recipe: int
    k1: float
    b: float
    profile_tokens: int
    count: int = 0
    documents: int = 0
    version: int = 1


def load_state(data_path: Path, manifest_path: Path, expected: LexicalManifest) -> tuple[LexicalState, float] | None:
    """The saved state and its manifest's modification time; None when nothing usable is saved."""
    if not manifest_path.exists() or not data_path.exists():
        return None
    try:
        stored = LexicalManifest(**json.loads(manifest_path.read_text()))
    except (TypeError, ValueError):
        return None  # unreadable or from another version: reconcile rebuilds it from SQL
    if stored.version != expected.version or stored.recipe != expected.recipe:
        return None
    loaded_mtime = manifest_path.stat().st_mtime
    with np.load(data_path, allow_pickle=False) as data:
        words = [str(word) for word in data["words"]]
        document_ids = [str(value) for value in data["document_ids"]]
        name_offsets, name_tokens = data["name_offsets"], data["name_tokens"]
        chunk_ids, chunk_documents = data["chunk_ids"], data["chunk_documents"]
        token_offsets, tokens = data["token_offsets"], data["tokens"]
    state = LexicalState(Vocabulary(words))
    state.documents = {
        document_id: IndexedDocument(name_tokens[name_offsets[i] : name_offsets[i + 1]], [])
        for i, document_id in enumerate(document_ids)
    }
    for i, chunk_id in enumerate(chunk_ids.tolist()):
        document_id = document_ids[chunk_documents[i]]
        state.chunks[chunk_id] = (document_id, tokens[token_offsets[i] : token_offsets[i + 1]])
        state.documents[document_id].chunk_ids.append(chunk_id)
    return state, loaded_mtime


def save_state(state: LexicalState, data_path: Path, manifest_path: Path, expected: LexicalManifest) -> float:
    """Write the token arrays, then the manifest, each atomically; returns the manifest's modification time."""
    data_path.parent.mkdir(parents=True, exist_ok=True)
    document_ids = sorted(state.documents)
    position = {document_id: i for i, document_id in enumerate(document_ids)}
    chunk_ids = sorted(state.chunks)
    names = [state.documents[document_id].name for document_id in document_ids]
    chunk_tokens = [state.chunks[chunk_id][1] for chunk_id in chunk_ids]
    arrays = {
        "words": np.asarray(state.vocabulary.words(), dtype=np.str_),
        "document_ids": np.asarray(document_ids, dtype=np.str_),
        "name_offsets": _offsets(names),
        "name_tokens": _concatenate(names),
        "chunk_ids": np.asarray(chunk_ids, dtype=np.int64),
        "chunk_documents": np.asarray([position[state.chunks[c][0]] for c in chunk_ids], dtype=np.int64),
        "token_offsets": _offsets(chunk_tokens),
        "tokens": _concatenate(chunk_tokens),
    }

    def write_arrays(path: Path) -> None:
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy's stub wants positional arrays

    write_atomically(data_path, write_arrays)
    manifest = LexicalManifest(**{**asdict(expected), "count": len(chunk_ids), "documents": len(document_ids)})
    write_atomically(manifest_path, lambda path: path.write_text(json.dumps(asdict(manifest), indent=1)))
    return manifest_path.stat().st_mtime


def _offsets(arrays: Sequence[IntArray]) -> IntArray:
    return np.concatenate([[0], np.cumsum([len(array) for array in arrays], dtype=np.int64)]).astype(np.int64)


def _concatenate(arrays: Sequence[IntArray]) -> IntArray:
    return np.concatenate([*arrays, np.zeros(0, np.int64)]).astype(np.int64)
