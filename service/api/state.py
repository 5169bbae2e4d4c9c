"""What every request can reach: settings, components, jobs and limits; typed FastAPI dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import SQLAlchemyError

from service.components import Components
from service.core.access import OPEN, Principal
from service.core.errors import InvalidInput, NotReady, Unauthorized, UnsupportedMediaType
from service.core.seams import RateLimit
from service.core.settings import Settings
from service.engine.access import is_loopback
from service.engine.documents.jobs import JobRunner
from service.engine.documents.service import DocumentsService
from service.engine.threads import ThreadsService


@dataclass
class AppState:
    """One per app; built by ``create_app``."""

    settings: Settings
    components: Components
    limiter: RateLimit
    registry: CollectorRegistry
    served_publicly: bool = False
    """Set by ``docqa serve`` when it binds beyond this machine (keys existed at start). Should every
    key be revoked later, the open API then answers only requests from this machine."""
    jobs: JobRunner = field(init=False)
    documents: DocumentsService = field(init=False)

    def __post_init__(self) -> None:
        parts = self.components
        self.jobs = JobRunner(
            lambda: parts.upload_jobs,
            parts.upload_pipeline,
            lambda job, result: parts.audit.uploaded(job, result),
            worker_memory_mb=self.settings.ingest.worker_memory_mb,
        )
        self.documents = parts.documents(self.jobs)

    def bounded_k(self, k: int | None) -> int:
        """The request's k, or the default; above ``DOCQA_RETRIEVAL__MAX_K`` it is a 422 naming ``k``."""
        retrieval = self.settings.retrieval
        if k is None:
            return retrieval.request_k
        if k > retrieval.max_k:
            raise InvalidInput(
                f"k: {k} is above the largest allowed, {retrieval.max_k} (DOCQA_RETRIEVAL__MAX_K); ask for fewer",
                detail={"field": "k", "max": retrieval.max_k},
            )
        return k

    def readable_collection(self, principal: Principal, collection: str) -> str:
        """An existing collection the principal may read; otherwise one and the same 404."""
        return self.documents.readable_collection(principal, collection)

    @property
    def threads(self) -> ThreadsService:
        """Saved conversation threads, walled and audited."""
        return self.components.threads


async def get_state(request: Request) -> AppState:
    """The app's state (``async``: FastAPI runs a plain ``def`` dependency on a worker thread)."""
    state: AppState = request.app.state.docqa
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def get_principal(request: Request, state: StateDep) -> Principal:
    """The caller, from ``Authorization: Bearer <key>`` (or ``X-API-Key``); rate-limited per key.

    Failed authentications are rate-limited per client address, so keys cannot be guessed at speed.
    ``async``, so it runs on the event loop without a thread hop per request: its one indexed SQL read
    (none while no key exists but once a second) is as short as the ones ``/v1/search`` makes there.
    """
    header = request.headers.get("authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("x-api-key")
    address = request.client.host if request.client else "local"
    try:
        principal = state.components.keys.authenticate(secret or None)
    except Unauthorized:
        state.limiter.check(f"address:{address}")
        raise
    except SQLAlchemyError as error:
        raise NotReady(f"the database is unreachable ({type(error).__name__}); see the server log") from error
    if principal is OPEN:
        state.limiter.check(f"address:{address}")
        if state.served_publicly and not is_loopback(address):
            raise Unauthorized(
                "no API key exists any more, so docqa answers only requests from its own machine; "
                "create one with 'docqa keys create'"
            )
        return principal
    state.limiter.check(f"key:{principal.key_name}")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def require_json(request: Request) -> None:
    """JSON endpoints answer 415 to other content types instead of a confusing validation error."""
    content_type = request.headers.get("content-type", "")
    if not content_type.split(";")[0].strip().lower() == "application/json":
        raise UnsupportedMediaType(
            f"send the request body as JSON with 'Content-Type: application/json' (got {content_type or 'none'!r})"
        )


JsonBody = Depends(require_json)


async def require_multipart(request: Request) -> None:
    """Uploads answer 415 to anything but ``multipart/form-data``, instead of 'files: Field required'."""
    content_type = request.headers.get("content-type", "")
    if not content_type.split(";")[0].strip().lower() == "multipart/form-data":
        raise UnsupportedMediaType(
            "send the files as multipart/form-data, one part per file named 'files' "
            f"(got {content_type or 'no content type'!r})",
            detail={"field": "files"},
        )


MultipartBody = Depends(require_multipart)
