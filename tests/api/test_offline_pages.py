"""No page docqa serves names another host: the web UI, /docs and Swagger UI's OAuth page, and every
file of the web UI, are scanned for http(s):// URLs. (That they also *work* offline is tested in Chromium,
tests/web/test_web_e2e.py, with every request to another host cut off.)"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from service.api.app import DOCS_FILES_URL, WEB_DIR, create_app
from service.core.settings import Settings

URL = re.compile(r"""https?://([^/\s"'`<>)]+)""", re.IGNORECASE)
THIS_MACHINE = {"127.0.0.1", "localhost"}
NAMESPACES = re.compile(r"http://www\.w3\.org/(2000/svg|1999/xhtml|1999/xlink)\b")
"""XML namespace names (an SVG's ``xmlns``): identifiers that are never fetched."""


def other_hosts(text: str) -> list[str]:
    text = NAMESPACES.sub("", text)
    return sorted({match.group(0) for match in URL.finditer(text) if match.group(1).split(":")[0] not in THIS_MACHINE})


def test_no_served_html_page_names_another_host(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data")))
    pages: dict[str, str] = {}
    for route in client.app.routes:  # every GET route without parameters, in the schema or not
        if isinstance(route, (APIRoute, Route)) and "GET" in (route.methods or set()) and "{" not in route.path:
            response = client.get(route.path)
            if response.headers.get("content-type", "").startswith("text/html"):
                pages[route.path] = response.text
    for path in sorted(WEB_DIR.iterdir()):
        pages[f"/static/{path.name}"] = client.get(f"/static/{path.name}").text
    pages[f"{DOCS_FILES_URL}/swagger-ui.css"] = client.get(f"{DOCS_FILES_URL}/swagger-ui.css").text
    assert {"/", "/docs", "/docs/oauth2-redirect", "/static/index.html"} <= set(pages), sorted(pages)
    for path, text in pages.items():
        assert text, path
        assert other_hosts(text) == [], path
    # the scan itself finds what it looks for
    assert other_hosts('<script src="https://cdn.jsdelivr.net/npm/x.js">') == ["https://cdn.jsdelivr.net"]
    assert other_hosts("fetch('http://127.0.0.1:8000/v1')") == []
    assert other_hosts('<svg xmlns="http://www.w3.org/2000/svg"><image href="http://x.test/a.png"/>') == [
        "http://x.test"
    ]


def test_the_api_pages_load_their_files_from_docqa(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data")))
    docs = client.get("/docs").text
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f'"{DOCS_FILES_URL}/{name}"' in docs
        assert client.get(f"{DOCS_FILES_URL}/{name}").status_code == 200
    assert '"validatorUrl": null' in docs  # Swagger UI's badge would send the API description to swagger.io
    assert client.get("/redoc").status_code == 404  # ReDoc fetches its logo from cdn.redoc.ly: not served
