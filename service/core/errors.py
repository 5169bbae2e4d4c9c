"""The one exception tree of docqa. Every error a user can cause or meet maps to one code.

    DocqaError                      500 internal
    ├── BadRequest                  400 bad_request
    │   └── InvalidInput            422 invalid_input
    ├── Unauthorized                401 unauthorized
    ├── Forbidden                   403 forbidden      (the key's role lacks the right; never for walls)
    ├── NotFound                    404 not_found      (also for what a key may not read)
    ├── Conflict                    409 conflict
    ├── PayloadTooLarge             413 payload_too_large
    ├── UnsupportedMediaType        415 unsupported_media_type
    ├── RateLimited                 429 rate_limited
    ├── IndexMismatch               500 index_mismatch (the index was built by other settings)
    ├── GeneratorError              502 llm_unavailable
    │   └── GeneratorTimeout        504 llm_timeout
    └── NotReady                    503 not_ready

The HTTP layer renders each as ``{"error": {"code", "message", "detail"}}``; the CLI prints the
message and exits non-zero. Messages name the file or field and say what to do next.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DocqaError(Exception):
    """Base of every error docqa reports to a user."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal"

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadRequest(DocqaError):
    status_code = 400
    code = "bad_request"


class InvalidInput(BadRequest):
    status_code = 422
    code = "invalid_input"


class Unauthorized(DocqaError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DocqaError):
    """The key may read the collection, but its role may not do this (a reader uploading or deleting)."""

    status_code = 403
    code = "forbidden"


class NotFound(DocqaError):
    status_code = 404
    code = "not_found"


class Conflict(DocqaError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(DocqaError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(DocqaError):
    status_code = 415
    code = "unsupported_media_type"


class RateLimited(DocqaError):
    status_code = 429
    code = "rate_limited"


class IndexMismatch(DocqaError):
    status_code = 500
    code = "index_mismatch"


class GeneratorError(DocqaError):
    status_code = 502
    code = "llm_unavailable"


class GeneratorTimeout(GeneratorError):
    status_code = 504
    code = "llm_timeout"


class NotReady(DocqaError):
    status_code = 503
    code = "not_ready"
