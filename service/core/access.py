"""Who is asking, what their role lets them do, and the walls between matters.

A key has a role and reads only its collections:

    reader   search, ask, read documents, pages and upload jobs, in its collections
    editor   what a reader may, and upload and delete documents, in its collections
    admin    everything, in every collection (keys and the audit export are the admin's, on the command line;
             the export of feedback on answers too, over HTTP as well)

When no key has ever existed the service is open (``OPEN``, an admin). A collection or document a key may
not read answers exactly like one that does not exist: ``NotFound``, with the same message. A role that
lacks a right gets ``Forbidden`` (403), and only for what the key may read, so a 403 never reveals
another matter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from service.core.errors import Forbidden, InvalidInput, NotFound

Role = Literal["reader", "editor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
WRITERS: frozenset[Role] = frozenset({"editor", "admin"})
"""Roles that may upload and delete documents."""


def parse_role(value: str) -> Role:
    """``value`` as a role, or ``InvalidInput`` listing the roles."""
    for role in ROLES:
        if value == role:
            return role
    raise InvalidInput(f"unknown role {value!r}; use one of {', '.join(ROLES)}", detail={"field": "role"})


@dataclass(frozen=True)
class Principal:
    """Who is asking: a key's name, the collections it may read (None: all) and its role."""

    key_name: str | None
    collections: frozenset[str] | None
    role: Role = "reader"

    @property
    def admin(self) -> bool:
        return self.role == "admin"

    def can_read(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections

    def require(self, collection: str) -> str:
        """The collection, or the same ``NotFound`` a missing collection gets."""
        if not self.can_read(collection):
            raise collection_not_found(collection)
        return collection

    def require_writer(self, action: str) -> None:
        """``Forbidden`` unless the role may upload and delete; call it after the wall check, so that it
        is only ever raised for something the key may read."""
        if self.role not in WRITERS:
            raise Forbidden(
                f"the key {self.key_name!r} has the role {self.role!r}, which may not {action}; "
                "an 'editor' or 'admin' key may (docqa keys create --role editor)",
                detail={"role": self.role, "needs": sorted(WRITERS)},
            )

    def owns(self, key_name: str | None, collection: str) -> bool:
        """Whether a thing a key keeps for itself (a thread, an answer) is this principal's to see: its own, in
        a collection it still reads, or any for an admin."""
        return self.admin or (key_name == self.key_name and self.can_read(collection))

    def visible(self, collections: Iterable[str]) -> list[str]:
        return sorted(name for name in collections if self.can_read(name))


OPEN = Principal(key_name=None, collections=None, role="admin")
"""The principal of every request while no key has ever existed."""


def collection_not_found(collection: str) -> NotFound:
    return NotFound(f"collection {collection!r} not found", detail={"field": "collection"})


@dataclass(frozen=True)
class KeyInfo:
    """A key as listed (never its secret)."""

    name: str
    prefix: str
    collections: list[str]
    role: Role
    created_at: str
    revoked: bool
