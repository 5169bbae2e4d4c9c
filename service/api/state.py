"""What every request can reach: settings, components, jobs and limits; typed FastAPI dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry

from ingest.pipeline import FileResult
from service.auth import Principal, RateLimiter, collection_not_found
from service.components import Components
from service.errors import UnsupportedMediaType
from service.jobs import Job, JobRunner
from service.settings import Settings


@dataclass
class AppState:
    """One per app; built by ``create_app``."""

    settings: Settings
    components: Components
    limiter: RateLimiter
    registry: CollectorRegistry
    jobs: JobRunner = field(init=False)

    def __post_init__(self) -> None:
        self.jobs = JobRunner(self.components.pipeline, on_file_done=self.audit_file_done)

    def audit_file_done(self, job: Job, result: FileResult) -> None:
        """Every document change through an upload is audited."""
        self.components.audit.record(
            "upload",
            job.key_name,
            job.collection,
            result.outcome,
            {"job_id": job.job_id, "source": result.source, "document_id": result.document_id, "error": result.error},
        )

    def readable_collection(self, principal: Principal, collection: str) -> str:
        """An existing collection the principal may read; otherwise one and the same 404."""
        if not principal.can_read(collection) or collection not in self.components.store.collections():
            raise collection_not_found(collection)
        return collection


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.docqa
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_principal(request: Request, state: StateDep) -> Principal:
    """The caller, from ``Authorization: Bearer <key>`` (or ``X-API-Key``); rate-limited per key."""
    header = request.headers.get("authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("x-api-key")
    principal = state.components.keys.authenticate(secret or None)
    state.limiter.check(principal.key_name or (request.client.host if request.client else "local"))
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_json(request: Request) -> None:
    """JSON endpoints answer 415 to other content types instead of a confusing validation error."""
    content_type = request.headers.get("content-type", "")
    if not content_type.split(";")[0].strip().lower() == "application/json":
        raise UnsupportedMediaType(
            f"send the request body as JSON with 'Content-Type: application/json' (got {content_type or 'none'!r})"
        )


JsonBody = Depends(require_json)
