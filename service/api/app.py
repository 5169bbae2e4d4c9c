"""``create_app(settings)``: the FastAPI application. Routes are thin; the engines do the work.

Every non-2xx response is ``{"error": {"code", "message", "detail"}}``: ``DocqaError``s map to
their status, request validation to 422, unknown routes to 404, anything unexpected to a 500
that says where to look (the log), never a stack trace.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.routes import documents, health, openai, qa
from service.api.state import AppState
from service.components import Components, rate_limiter
from service.core.errors import DocqaError, PayloadTooLarge
from service.core.settings import Settings
from service.engine.access import is_loopback

log = logging.getLogger("docqa")
MULTIPROCESS_METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus_client's own variable: where worker processes keep their metric values."""
WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def error_response(status: int, code: str, message: str, detail: Any = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "detail": detail}}, status_code=status)


def _validation_message(error: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    problems = []
    for problem in error.errors():
        if problem.get("type") == "json_invalid":
            # pydantic puts the character position where a field name would be: say what it is.
            position = problem.get("loc", ("body", "?"))[-1]
            reason = (problem.get("ctx") or {}).get("error", "malformed")
            problems.append({"field": "body", "problem": f"not valid JSON ({reason}, at character {position})"})
            continue
        location = [str(part) for part in problem.get("loc", ())]
        if location and location[0] in ("body", "query", "path", "header", "cookie"):
            location = location[1:]  # where the field was sent, not its name ("query" is also a field)
        problems.append({"field": ".".join(location) or "body", "problem": problem.get("msg", "invalid")})
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
    return f"invalid request: {summary}", problems


class BodyLimit:
    """Refuses request bodies above a limit with 413, by header and while streaming (pure ASGI).

    A body sent without ``Content-Length`` (chunked) is counted as it arrives. FastAPI turns any
    exception raised while it reads the body into its own 400, so once the limit is passed the
    app's response is replaced by the 413 envelope.
    """

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        upload = content_type.startswith("multipart/")
        limit = self.upload_limit if upload else self.json_limit
        setting = "DOCQA_SERVER__MAX_UPLOAD_MB" if upload else "DOCQA_SERVER__MAX_REQUEST_MB"
        declared = headers.get(b"content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit, setting)
            return
        received = 0
        exceeded = False
        refused = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise PayloadTooLarge(_too_large(limit, setting), detail={"limit_bytes": limit})
            return message

        async def guarded(message: Message) -> None:
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused and message["type"] == "http.response.start":
                refused = True
                await self._refuse(send, limit, setting)

        try:
            await self.app(scope, counted, guarded)
        except PayloadTooLarge:
            if refused:
                return
            await self._refuse(send, limit, setting)

    @staticmethod
    async def _refuse(send: Send, limit: int, setting: str) -> None:
        response = error_response(413, PayloadTooLarge.code, _too_large(limit, setting), {"limit_bytes": limit})
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


class Metrics:
    """Counts requests by route and status and times them, to the last byte sent (pure ASGI: no task or
    stream per request, which Starlette's ``BaseHTTPMiddleware`` costs)."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")  # set by the router that matched
            self.requests.labels(route, str(status)).inc()
            self.latency.labels(route).observe(time.perf_counter() - started)


def _too_large(limit: int, setting: str) -> str:
    return f"request body above the limit of {limit / 1048576:g} MiB; send less or raise {setting}"


def metrics_registry() -> tuple[CollectorRegistry, CollectorRegistry | None]:
    """The registry ``/metrics`` reads, and the one this process's metrics join (None: none).

    Under ``docqa serve --workers N`` (``PROMETHEUS_MULTIPROC_DIR`` set) each worker writes its values
    to files in that folder and ``/metrics``, whichever worker answers, sums every worker's files.
    """
    registry = CollectorRegistry()
    folder = os.environ.get(MULTIPROCESS_METRICS_ENV)
    if folder:
        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]  # untyped in prometheus_client
        return registry, None
    return registry, registry


def worker_app() -> FastAPI:
    """The app of one ``docqa serve --workers N`` process (a uvicorn factory): settings from the environment,
    which ``serve`` extends with the address it bound."""
    settings = Settings()
    app = create_app(settings)
    app.state.docqa.served_publicly = not is_loopback(settings.server.host)
    return app


def create_app(settings: Settings, components: Components | None = None) -> FastAPI:
    """Build the app for ``settings``; tests may pass prebuilt ``components``."""
    parts = components or Components(settings)
    parts.prompts  # noqa: B018 - a bad prompt template must stop the start-up, not the first request
    registry, own = metrics_registry()
    requests = Counter("docqa_requests", "HTTP requests", ["route", "status"], registry=own)
    latency = Histogram(
        "docqa_request_seconds",
        "HTTP request latency",
        ["route"],
        registry=own,
        buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    )
    state = AppState(settings, parts, rate_limiter(settings, settings.server.workers), registry)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.jobs.shutdown()
        state.limiter.close()

    app = FastAPI(
        title="docqa",
        version="0.1.0",
        description="Question answering over private documents with page-exact, verified citations.",
        lifespan=lifespan,
    )
    app.state.docqa = state

    @app.exception_handler(DocqaError)
    async def docqa_error(_request: Request, error: DocqaError) -> JSONResponse:
        if error.status_code >= 500:
            log.warning("%s: %s", error.code, error.message)
        return error_response(error.status_code, error.code, error.message, error.detail)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        message, problems = _validation_message(error)
        return error_response(422, "invalid_input", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        headers = dict(error.headers or {})
        message = str(error.detail)
        if error.status_code == 404:
            message = f"no such endpoint: {request.url.path}"
        elif error.status_code == 405:
            allowed = headers.get("Allow", "another method")
            message = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
        response = error_response(error.status_code, codes.get(error.status_code, "http_error"), message)
        response.headers.update(headers)  # e.g. Allow on 405
        return response

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, "internal", f"internal error ({type(error).__name__}); see the server log")

    app.add_middleware(Metrics, requests=requests, latency=latency)
    app.add_middleware(
        BodyLimit,
        json_limit=int(settings.server.max_request_mb * 1048576),
        upload_limit=int(settings.server.max_upload_mb * 1048576),
    )
    for router in (health.router, qa.router, documents.router, openai.router):
        app.include_router(router)

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html")

    return app
