"""Who is asking, and the walls between matters.

A key reads only its collections (an admin key reads all). When no key exists the service is open. A
collection or document a key may not read answers exactly like one that does not exist: ``NotFound``, with
the same message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from service.core.errors import NotFound


@dataclass(frozen=True)
class Principal:
    """Who is asking: a key's name and the collections it may read (None: all)."""

    key_name: str | None
    collections: frozenset[str] | None
    admin: bool = False

    def can_read(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections

    def require(self, collection: str) -> str:
        """The collection, or the same ``NotFound`` a missing collection gets."""
        if not self.can_read(collection):
            raise collection_not_found(collection)
        return collection

    def visible(self, collections: Iterable[str]) -> list[str]:
        return sorted(name for name in collections if self.can_read(name))


OPEN = Principal(key_name=None, collections=None, admin=True)
"""The principal of every request while no key exists."""


def collection_not_found(collection: str) -> NotFound:
    return NotFound(f"collection {collection!r} not found", detail={"field": "collection"})


@dataclass(frozen=True)
class KeyInfo:
    """A key as listed (never its secret)."""

    name: str
    prefix: str
    collections: list[str]
    admin: bool
    created_at: str
    revoked: bool
