"""``create_app(settings)``: the FastAPI application, put together. Routes are thin; the engines do the work.

Every non-2xx response is the error envelope (``service/api/errors.py``); request size limits and
metrics are middleware (``service/api/middleware.py``); authentication and rate limits are the
``PrincipalDep`` dependency of each route (``service/api/state.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from service.api.errors import add_error_handlers
from service.api.middleware import add_middleware, metrics_registry
from service.api.routes import documents, entities, feedback, health, openai, qa, record, summaries, threads
from service.api.state import AppState
from service.components import Components, rate_limiter
from service.core.settings import Settings
from service.engine.access import is_loopback

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DOCS_FILES_URL = "/docs-static"
"""Where the API page's own Swagger UI files are served (from the fastapi-offline package)."""


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
    state = AppState(settings, parts, rate_limiter(settings, settings.server.workers), registry)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.jobs.shutdown()
        state.limiter.close()

    # /docs loads Swagger UI from files shipped in a package, not from a CDN: it works offline, and a
    # private-documents service makes no outside call. Swagger UI's validator badge would send the API
    # description to validator.swagger.io, so it is off; ReDoc is not served, because its page fetches its
    # logo from cdn.redoc.ly whatever files it is given.
    app = FastAPIOffline(
        redoc_url=None,
        title="docqa",
        version="0.1.0",
        description="Question answering over private documents with page-exact, verified citations.",
        lifespan=lifespan,
        static_url=DOCS_FILES_URL,
        favicon_url="/static/favicon.svg",
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.docqa = state

    add_error_handlers(app)
    add_middleware(app, settings.server, own)
    for router in (
        health.router,
        qa.router,
        record.router,
        record.pages_router,
        documents.router,
        entities.router,
        summaries.router,
        openai.router,
        threads.router,
        feedback.router,
    ):
        app.include_router(router)

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html")

    return app
