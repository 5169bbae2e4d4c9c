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
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.core.errors import DocqaError

log = logging.getLogger("docqa")


def error_response(status: int, code: str, message: str, detail: Any = None) -> JSONResponse:
    """The envelope as a response."""
    return JSONResponse({"error": {"code": code, "message": message, "detail": detail}}, status_code=status)


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
        problems.append({"field": ".".join(location) or "body", "problem": problem.get("msg", "invalid")})
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
    return f"invalid request: {summary}", problems


def add_error_handlers(app: FastAPI) -> None:
    """Answer every failure of ``app`` with the envelope."""

    @app.exception_handler(DocqaError)
    async def docqa_error(_request: Request, error: DocqaError) -> JSONResponse:
        if error.status_code >= 500:
            log.warning("%s: %s", error.code, error.message)
        return error_response(error.status_code, error.code, error.message, error.detail)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        message, problems = validation_message(error)
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
