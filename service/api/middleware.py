"""The app's pure-ASGI middleware: ``BodyLimit`` (413 above the request size limits), ``Metrics``
(requests and latency per route for ``/metrics``) and ``Unexpected`` (the 500 envelope without closing the
connection), and where the metrics of several workers meet.

Pure ASGI, not Starlette's ``BaseHTTPMiddleware``, which costs a task and a stream per request.
Authentication and rate limits are per route: the ``PrincipalDep`` dependency (``service/api/state.py``).
"""

from __future__ import annotations

import logging
import os
import time

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import docqa_response, error_response, unexpected_response
from service.core.errors import DocqaError, PayloadTooLarge
from service.core.settings import ServerSettings

log = logging.getLogger("docqa")

MULTIPROCESS_METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus_client's own variable: where worker processes keep their metric values."""


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


class Unexpected:
    """Answers an exception no handler took with the 500 envelope, and keeps the connection open.

    Starlette's last-resort handler (``ServerErrorMiddleware``) sends its response and then raises the
    exception again, for the server to log; uvicorn then closes the connection, and a client that
    reuses it (keep-alive) fails its next request. Caught here, inside that handler, the exception is
    logged once and goes no further. One raised after the response began (a stream) still propagates:
    the response cannot be completed, and closing is the only honest ending.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started:
                raise
            if isinstance(error, DocqaError):  # e.g. PayloadTooLarge from a body read outside a route
                response = docqa_response(error)
            else:
                log.error("unexpected error", exc_info=error)
                response = unexpected_response(error)
            await response(scope, receive, send)


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


def add_middleware(app: FastAPI, server: ServerSettings, registry: CollectorRegistry | None) -> None:
    """Count and time every request into ``registry`` (None: nowhere), and limit request bodies as ``server``
    says (``BodyLimit`` outermost, so a refused body is counted too; ``Unexpected`` innermost, so a 500 is)."""
    requests = Counter("docqa_requests", "HTTP requests", ["route", "status"], registry=registry)
    latency = Histogram(
        "docqa_request_seconds",
        "HTTP request latency",
        ["route"],
        registry=registry,
        buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    )
    app.add_middleware(Unexpected)
    app.add_middleware(Metrics, requests=requests, latency=latency)
    app.add_middleware(
        BodyLimit,
        json_limit=int(server.max_request_mb * 1048576),
        upload_limit=int(server.max_upload_mb * 1048576),
    )
