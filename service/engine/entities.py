"""The entity index's queries: who and what appears in a collection, and every mention of one of them.

Mentions are stored per page at ingest (``ingest.legal.entities``); entities are formed from them per collection at
query time, so that a document added or deleted changes them at once. Variants of one name are merged:

- **people**: honorifics and roles are already gone from the names; two names are one person when they have the
  same surname (suffixes like "Jr." ignored) and compatible given names: each given name of the shorter equals
  the other's, or is its initial ("Richard P. Liebowitz" = "Richard Liebowitz" = "R. P. Liebowitz"). A surname
  alone ("Liebowitz", from "Mr. Liebowitz") joins the one person of that surname when there is exactly one; with
  several it stays apart (it cannot be told which one it is).
- **organisations**: equal once case, punctuation, a leading "the" and company suffixes (Inc., LLC, Co...) are
  ignored ("Acme Corp." = "ACME CORPORATION" = "Acme").
- **everything else**: equal once case and spacing are ignored.

An entity's id is a hash of its collection, type and merged key: stable while the collection's content is, and
naming nothing. Walls as everywhere: a collection the key may not read is the same 404 as a missing one; every
query is audited.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from service.core.access import Principal
from service.core.domain import ENTITY_TYPES, StoredMention
from service.core.errors import InvalidInput, NotFound
from service.core.seams import DocumentStore
from service.engine.audit import Audit

if TYPE_CHECKING:
    from service.engine.documents.service import DocumentsService

QUOTE_CHARS = 80
"""Characters of page text shown on each side of a mention."""
_COMPANY_SUFFIXES = {"inc", "incorporated", "llc", "llp", "lp", "co", "corp", "corporation", "company", "ltd"}
_COMPANY_SUFFIXES |= {"limited", "pc", "pllc", "plc", "na", "sa", "gmbh"}
_NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "esq"}


@dataclass
class Entity:
    """One entity of a collection: its mentions (every one kept), named by its most frequent longest variant."""

    id: str
    type: str
    name: str
    mentions: list[StoredMention]
    variants: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)

    @property
    def documents(self) -> int:
        """How many documents mention it."""
        return len({mention.document_id for mention in self.mentions})


def _words(name: str) -> list[str]:
    return [word for word in re.split(r"[\s,]+", name.replace(".", ". ")) if word]


def person_key(name: str) -> tuple[str, tuple[str, ...]]:
    """``(surname, given names)``, folded: "Richard P. Liebowitz" -> ``("liebowitz", ("richard", "p"))``."""
    words = [word.strip(".").lower() for word in _words(name)]
    words = [word for word in words if word]
    while len(words) > 1 and words[-1] in _NAME_SUFFIXES:
        words.pop()
    if not words:
        return "", ()
    return words[-1], tuple(words[:-1])


def _given_compatible(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    """Whether two lists of given names can be one person's: position by position, equal or one an initial of
    the other; the shorter list may leave out trailing (middle) names."""
    for one, other in zip(left, right, strict=False):
        if one == other:
            continue
        if (len(one) == 1 and other.startswith(one)) or (len(other) == 1 and one.startswith(other)):
            continue
        return False
    return True


def org_key(name: str) -> str:
    """An organisation's name, folded: case, punctuation, "the" and company suffixes ignored."""
    words = [re.sub(r"[^\w&]", "", word.lower()) for word in name.split()]
    words = [word for word in words if word]
    if words and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in _COMPANY_SUFFIXES:
        words.pop()
    return " ".join(words)


def plain_key(name: str) -> str:
    return " ".join(name.lower().split())


def _people(mentions: Sequence[StoredMention]) -> list[tuple[str, list[StoredMention]]]:
    """People merged by surname and compatible given names; keys like ``"liebowitz|richard p"``."""
    by_surname: dict[str, list[StoredMention]] = defaultdict(list)
    for mention in mentions:
        surname, _ = person_key(mention.mention.name)
        if surname:
            by_surname[surname].append(mention)
    groups: list[tuple[str, list[StoredMention]]] = []
    for surname, found in sorted(by_surname.items()):
        full = sorted(
            {person_key(mention.mention.name)[1] for mention in found if person_key(mention.mention.name)[1]},
            key=lambda given: (-len(given), -sum(len(word) for word in given), given),
        )
        clusters: list[tuple[tuple[str, ...], list[StoredMention]]] = []
        heads: dict[tuple[str, ...], int] = {}
        for given in full:  # longest first: a shorter name joins the first longer one it fits
            for index, (head, _) in enumerate(clusters):
                if _given_compatible(given, head):
                    heads[given] = index
                    break
            else:
                heads[given] = len(clusters)
                clusters.append((given, []))
        alone: list[StoredMention] = []
        for mention in found:
            given = person_key(mention.mention.name)[1]
            if given:
                clusters[heads[given]][1].append(mention)
            elif len(clusters) == 1:
                clusters[0][1].append(mention)
            else:
                alone.append(mention)
        groups.extend((f"{surname}|{' '.join(head)}", members) for head, members in clusters)
        if alone:
            groups.append((f"{surname}|", alone))
    return groups


def merge(collection: str, mentions: Sequence[StoredMention]) -> list[Entity]:
    """The entities of ``collection`` formed from its ``mentions`` (see the module's rules), most mentioned
    first."""
    by_type: dict[str, list[StoredMention]] = defaultdict(list)
    for mention in mentions:
        by_type[mention.mention.type].append(mention)
    entities: list[Entity] = []
    for kind, found in by_type.items():
        if kind == "person":
            groups = _people(found)
        else:
            keyed: dict[str, list[StoredMention]] = defaultdict(list)
            fold = org_key if kind == "org" else plain_key
            for mention in found:
                key = fold(mention.mention.name)
                if key:
                    keyed[key].append(mention)
            groups = list(keyed.items())
        for key, members in groups:
            digest = hashlib.sha256(f"{collection}\0{kind}\0{key}".encode()).hexdigest()[:16]
            counts = Counter(mention.mention.name for mention in members)
            name = max(counts, key=lambda variant: (len(_words(variant)), counts[variant], variant))
            roles = sorted({mention.mention.role for mention in members if mention.mention.role})
            entities.append(Entity(digest, kind, name, members, sorted(counts), roles))
    entities.sort(key=lambda entity: (-len(entity.mentions), entity.type, entity.name))
    return entities


ENTITY_FILTER = "entity"
"""The search and ask filter that keeps only the chunks of pages mentioning an entity (its id)."""


def entity_chunks(store: DocumentStore, collection: str, entity_id: str) -> set[int]:
    """Chunk ids of ``collection`` on the pages that mention entity ``entity_id``; a 422 naming the filter when
    the collection has no such entity."""
    for entity in merge(collection, store.mentions(collection)):
        if entity.id == entity_id:
            pages: dict[str, set[int]] = defaultdict(set)
            for found in entity.mentions:
                pages[found.document_id].add(found.mention.page)
            return store.chunk_ids_on_pages(collection, dict(pages))
    raise InvalidInput(
        f"filters.entity: no entity {entity_id!r} in collection {collection!r} (GET /v1/entities lists them)",
        {"field": "filters.entity"},
    )


def check_type(kind: str | None) -> str | None:
    """``kind`` if it is an entity type; otherwise a 422 naming the field and the types."""
    if kind is not None and kind not in ENTITY_TYPES:
        raise InvalidInput(
            f"type: {kind!r} is not an entity type; use one of {', '.join(ENTITY_TYPES)}", {"field": "type"}
        )
    return kind


@dataclass(frozen=True)
class MentionPage:
    """One page of an entity's mentions, each with a quote of the page text around it."""

    entity: Entity
    collection: str
    mentions: list[tuple[StoredMention, str]]
    total: int
    offset: int


class EntitiesService:
    """Entities and mentions of the collections a principal may read (the command line passes none: all)."""

    def __init__(self, store: Callable[[], DocumentStore], documents: DocumentsService, audit: Audit) -> None:
        self._store = store
        self._documents = documents
        self.audit = audit

    def _collection(self, collection: str, principal: Principal | None) -> str:
        if principal is not None:
            return self._documents.readable_collection(principal, collection)
        if not self._store().collection_exists(collection):
            raise NotFound(f"collection {collection!r} not found", {"field": "collection"})
        return collection

    def entities(self, collection: str, kind: str | None, principal: Principal | None = None) -> list[Entity]:
        """The entities of a collection (of one type, when ``kind`` names one), most mentioned first."""
        check_type(kind)
        collection = self._collection(collection, principal)
        found = merge(collection, self._store().mentions(collection, [kind] if kind else None))
        self._record(principal, "entities", collection, {"type": kind, "entities": len(found)})
        return found

    def find(self, entity_id: str, principal: Principal | None, collection: str | None = None) -> tuple[str, Entity]:
        """The entity with ``entity_id`` in a collection the principal may read (``collection``, when given);
        otherwise the same 404 as for an id that never existed."""
        if collection is not None:
            names: Iterable[str] = [self._collection(collection, principal)]
        else:
            every = self._store().collections()
            names = every if principal is None else principal.visible(every)
        for name in names:
            for entity in merge(name, self._store().mentions(name)):
                if entity.id == entity_id:
                    return name, entity
        raise NotFound(f"entity {entity_id!r} not found", {"field": "entity_id"})

    def mentions(
        self,
        entity_id: str,
        principal: Principal | None = None,
        offset: int = 0,
        limit: int = 50,
        collection: str | None = None,
    ) -> MentionPage:
        """Mentions ``[offset, offset + limit)`` of an entity, in document and page order, each with a quote."""
        name, entity = self.find(entity_id, principal, collection)
        chosen = entity.mentions[offset : offset + limit]
        pages: dict[tuple[str, int], str] = {}
        quoted: list[tuple[StoredMention, str]] = []
        for stored in chosen:
            key = (stored.document_id, stored.mention.page)
            if key not in pages:
                pages[key] = self._store().get_page(*key).text
            quoted.append((stored, quote(pages[key], stored.mention.char_start, stored.mention.char_end)))
        self._record(principal, "mentions", name, {"entity_id": entity_id, "offset": offset, "limit": limit})
        return MentionPage(entity, name, quoted, len(entity.mentions), offset)

    def by_name(self, name: str, collection: str, principal: Principal | None = None) -> Entity:
        """The entity of ``collection`` called ``name`` (any of its variants, any case); the most mentioned
        when several are; ``NotFound`` naming the closest names otherwise."""
        found = self.entities(collection, None, principal)
        wanted = plain_key(name)
        for entity in found:
            if wanted in {plain_key(variant) for variant in entity.variants} or wanted == entity.id:
                return entity
        close = [entity.name for entity in found if wanted and wanted in plain_key(entity.name)][:5]
        hint = f"; did you mean {', '.join(repr(name) for name in close)}?" if close else ""
        raise NotFound(f"no entity called {name!r} in collection {collection!r}{hint}", {"field": "name"})

    def _record(self, principal: Principal | None, action: str, collection: str, payload: dict[str, object]) -> None:
        key_name = None if principal is None else principal.key_name
        self.audit.record(action, key_name, collection, payload)


def quote(text: str, start: int, end: int) -> str:
    """The page text around ``[start, end)`` on one line, cut at words, with "…" where it was cut."""
    left = max(0, start - QUOTE_CHARS)
    right = min(len(text), end + QUOTE_CHARS)
    while left > 0 and not text[left - 1].isspace() and left < start:
        left += 1
    while right < len(text) and not text[right].isspace() and right > end:
        right -= 1
    body = " ".join(text[left:right].split())
    return ("…" if left > 0 else "") + body + ("…" if right < len(text) else "")
