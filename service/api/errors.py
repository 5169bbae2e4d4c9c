"""The error envelope: every non-2xx response is ``{"error": {"code", "message", "detail"}}``.

Four branches, each answered by one handler::

    DocqaError (the tree drawn in service/core/errors.py) -> its own status and code
    RequestValidationError          -> 422 invalid_input, one problem per field
    starlette HTTPException         -> 404 no such endpoint, 405 with the allowed methods, ...
    anything else                   -> 500 internal, naming the exception type and pointing at the log

``add_error_handlers`` installs them; none ever returns a stack trace.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from service.core.errors import DocqaError, RateLimited

log = logging.getLogger("docqa")


def error_response(status: int, code: str, message: str, detail: Any = None) -> JSONResponse:
    """The envelope as a response."""
    return JSONResponse({"error": {"code": code, "message": message, "detail": detail}}, status_code=status)


def docqa_response(error: DocqaError) -> JSONResponse:
    """The envelope of a ``DocqaError``; a 429 also says in ``Retry-After`` (whole seconds, at least 1) when to
    retry, as HTTP clients and proxies read it."""
    response = error_response(error.status_code, error.code, error.message, error.detail)
    if isinstance(error, RateLimited) and isinstance(error.detail, dict) and "retry_after_s" in error.detail:
        response.headers["Retry-After"] = str(max(1, math.ceil(float(error.detail["retry_after_s"]))))
    return response


def validation_message(error: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    """One message naming the first few fields at fault, and every problem as ``{"field", "problem"}``."""
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
        message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")  # pydantic's prefix to ours
        problems.append({"field": ".".join(location) or "body", "problem": message})
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
    return f"invalid request: {summary}", problems


def add_error_handlers(app: FastAPI) -> None:
    """Answer every failure of ``app`` with the envelope."""

    @app.exception_handler(DocqaError)
    async def docqa_error(_request: Request, error: DocqaError) -> JSONResponse:
        if error.status_code >= 500:
            log.warning("%s: %s", error.code, error.message)
        return docqa_response(error)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        message, problems = validation_message(error)
        return error_response(422, "invalid_input", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        headers = dict(error.headers or {})
        message = str(error.detail)
        if error.status_code == 404:
            message = f"no such endpoint: {request.url.path}"
        elif error.status_code == 405:
            methods = allowed_methods(request)
            if request.method == "OPTIONS":  # the question is which methods there are: answer it
                return Response(status_code=204, headers={"Allow": ", ".join([*methods, "OPTIONS"])})
            allowed = ", ".join(methods) or headers.get("Allow", "another method")
            headers["Allow"] = allowed
            message = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
        response = error_response(error.status_code, codes.get(error.status_code, "http_error"), message)
        response.headers.update(headers)  # e.g. Allow on 405
        return response

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        # Reached only by what escapes the ``Unexpected`` middleware (service/api/middleware.py).
        log.exception("unexpected error")
        return unexpected_response(error)


METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path. Starlette's 405 names only the methods of the
    first route whose path matched, while e.g. ``/v1/documents/{id}`` has one route for GET, one for DELETE."""
    methods: set[str] = set()
    path = request.url.path
    for route in iter_route_contexts(request.app.routes):
        prefix = route.path or ""
        if route.methods is None:  # a mount: static files
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                methods.update(("GET", "HEAD"))
        elif compile_path(prefix)[0].match(path):
            methods.update(route.methods)
    return sorted(methods, key=lambda method: (*METHOD_ORDER, method).index(method))


def unexpected_response(error: Exception) -> JSONResponse:
    """The 500 envelope for an error no handler expected: its type, never its message (it may hold paths)."""
    return error_response(500, "internal", f"internal error ({type(error).__name__}); see the server log")
