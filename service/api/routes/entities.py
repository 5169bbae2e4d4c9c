"""The entity index over HTTP: who and what appears in a collection, and every mention of one entity with its page
and span (``service/engine/entities.py``); walled like search, and audited."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AfterValidator, BaseModel, Field

from service.api.params import MAX_NAME_CHARS, check_name
from service.api.schemas import ErrorEnvelope
from service.api.state import AppState, PrincipalDep, StateDep
from service.engine.entities import EntitiesService, Entity

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorEnvelope} for code in (401, 404, 422, 429)}
router = APIRouter(prefix="/v1", tags=["entities"], responses=ERRORS)

EntityType = Literal["person", "org", "place", "court", "statute", "date", "money"]
CollectionQuery = Annotated[
    str,
    Query(min_length=1, max_length=MAX_NAME_CHARS, description="The collection (matter)."),
    AfterValidator(check_name),
]
EntityIdPath = Annotated[
    str, Path(max_length=MAX_NAME_CHARS, description="Entity id (GET /v1/entities)."), AfterValidator(check_name)
]


class EntityOut(BaseModel):
    id: str = Field(description="Stable while the collection's content is; use it for the entity's mentions.")
    type: EntityType
    name: str = Field(description="The fullest of its names.")
    documents: int = Field(description="Documents that mention it.")
    mentions: int = Field(description="Mentions in all, every variant of the name counted.")
    variants: list[str] = Field(description="Every form of the name found (roles and honorifics gone).")
    roles: list[str] = Field(description="Roles the filings give a person: plaintiff, defendant, judge, counsel...")

    @classmethod
    def of(cls, entity: Entity) -> EntityOut:
        return cls(
            id=entity.id,
            type=entity.type,
            name=entity.name,
            documents=entity.documents,
            mentions=len(entity.mentions),
            variants=entity.variants,
            roles=entity.roles,
        )


class EntitiesResponse(BaseModel):
    collection: str
    entities: list[EntityOut]


class MentionOut(BaseModel):
    document_id: str
    source: str
    title: str
    page: int
    start: int = Field(description="Page-text character offset where the mention starts (as the page text gives it).")
    end: int = Field(description="Page-text character offset just after the mention.")
    text: str = Field(description="The page text [start, end): the mention exactly as written.")
    role: str | None
    quote: str = Field(description="The page text around the mention, on one line.")


class MentionsResponse(BaseModel):
    entity: EntityOut
    collection: str
    total: int
    offset: int
    mentions: list[MentionOut]


def _service(state: AppState) -> EntitiesService:
    return state.components.entities(state.documents)


@router.get("/entities", response_model=EntitiesResponse, summary="People, organisations, places... of a collection.")
def list_entities(
    state: StateDep,
    principal: PrincipalDep,
    collection: CollectionQuery,
    type: Annotated[EntityType | None, Query(description="Only entities of this type.")] = None,
) -> EntitiesResponse:
    """Every entity of the collection with how many documents and mentions name it, most mentioned first.
    Variants of one name ("Richard P. Liebowitz", "Mr. Liebowitz") are one entity."""
    found = _service(state).entities(collection, type, principal)
    return EntitiesResponse(collection=collection, entities=[EntityOut.of(entity) for entity in found])


@router.get(
    "/entities/{entity_id}/mentions", response_model=MentionsResponse, summary="Every mention of an entity, paginated."
)
def entity_mentions(
    entity_id: EntityIdPath,
    state: StateDep,
    principal: PrincipalDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> MentionsResponse:
    """Mentions in document and page order: page, page-text span and a quote. The span opens the source viewer
    (``/v1/documents/{document_id}/pages/{page}/highlight?start=&end=``)."""
    found = _service(state).mentions(entity_id, principal, offset, limit)
    return MentionsResponse(
        entity=EntityOut.of(found.entity),
        collection=found.collection,
        total=found.total,
        offset=found.offset,
        mentions=[
            MentionOut(
                document_id=stored.document_id,
                source=stored.source,
                title=stored.title,
                page=stored.mention.page,
                start=stored.mention.char_start,
                end=stored.mention.char_end,
                text=stored.mention.text,
                role=stored.mention.role,
                quote=quote,
            )
            for stored, quote in found.mentions
        ],
    )
