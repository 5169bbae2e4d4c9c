"""Liveness, readiness and Prometheus metrics.

Only ``/healthz`` is open to all. Once a key exists, readiness and metrics need one too, and
readiness reports only the collections the caller may read: a matter's name and size are
themselves confidential.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.api.schemas import ErrorEnvelope
from service.api.state import PrincipalDep, StateDep
from service.core.errors import NotReady

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up.")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorEnvelope, "description": "A key is required (once any key exists) and none valid was sent."},
    429: {"model": ErrorEnvelope, "description": "Rate limit reached; retry after the Retry-After header's seconds."},
}


@router.get(
    "/readyz",
    summary="Database reachable, embedding model and the caller's indexes loaded.",
    responses={
        **REFUSALS,
        503: {"model": ErrorEnvelope, "description": "Not ready: the message says why (e.g. database unreachable)."},
    },
)
def readyz(state: StateDep, principal: PrincipalDep) -> dict[str, object]:
    parts = state.components
    try:
        parts.store.ping()
        collections = principal.visible(parts.store.collections())
        chunks = {name: parts.index(name).count for name in collections}
        embedder = parts.embedder.id
    except Exception as error:  # readiness reports why, it never crashes
        raise NotReady(f"not ready: {type(error).__name__}: {error}") from error
    return {"status": "ready", "embedder": embedder, "mode": parts.qa.mode, "collections": chunks}


@router.get(
    "/metrics",
    summary="Prometheus metrics.",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}}, **REFUSALS},
)
def metrics(state: StateDep, _principal: PrincipalDep) -> Response:
    return Response(generate_latest(state.registry), media_type=CONTENT_TYPE_LATEST)
