"""Upload names on SQLite and PostgreSQL: Unicode kept (NFC), separators and control characters removed,
length bounded; one name never silently stands for two documents (two parts under one name are a 422, a
renamed upload landing on another document's name a 409); and a refused or failed upload never moves or
deletes what was stored: the stored document's page images and highlights keep working.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.components import Components
from service.core.errors import NotReady
from service.core.seams import Embedder
from service.core.settings import Settings
from tests.support.api import api_client, assert_envelope, wait_for_job
from tests.support.databases import fresh_database, make_settings
from tests.support.documents import LOREM_LEGAL, write_pdf

MATTER = "names"
FACT = "The arbitrator awarded the claimant $18,250 in fees."


@dataclass
class Uploads:
    settings: Settings
    parts: Components
    client: TestClient

    @property
    def folder(self) -> Path:
        return self.settings.data_dir / "uploads" / MATTER


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def uploads(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, models_cache: Path, embedder: Embedder
) -> Iterator[Uploads]:
    folder = tmp_path_factory.mktemp(f"names-{request.param}")
    with fresh_database(request.param, folder) as url:
        settings = make_settings(folder / "data", url, models_cache)
        parts = Components(settings, embedder=embedder)
        try:
            with api_client(parts) as client:
                yield Uploads(settings, parts, client)
        finally:
            parts.close()


def multipart(parts: list[tuple[str, bytes]]) -> tuple[bytes, dict[str, str]]:
    """A multipart body with the file names exactly as given (httpx would percent-encode control characters)."""
    boundary = secrets.token_hex(12)
    body = b""
    for name, data in parts:
        body += f"--{boundary}\r\n".encode()
        body += b'Content-Disposition: form-data; name="files"; filename="' + name.encode() + b'"\r\n'
        body += b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def post(uploads: Uploads, parts: list[tuple[str, bytes]]) -> Any:
    body, headers = multipart(parts)
    return uploads.client.post(f"/v1/collections/{MATTER}/documents", content=body, headers=headers)


def upload(uploads: Uploads, parts: list[tuple[str, bytes]]) -> dict[str, Any]:
    response = post(uploads, parts)
    assert response.status_code == 202, response.text
    return wait_for_job(uploads.client, response.json()["job_id"])


def outcomes(job: dict[str, Any]) -> dict[str, str]:
    return {entry["name"]: entry["outcome"] for entry in job["files"]}


def sources(uploads: Uploads) -> set[str]:
    listed = uploads.client.get(f"/v1/collections/{MATTER}/documents").json()["documents"]
    return {document["source"] for document in listed}


def pdf_bytes(tmp_path: Path, text: str, name: str = "x.pdf") -> bytes:
    return write_pdf(tmp_path / name, [f"{text}\n\n{LOREM_LEGAL}"], "Exhibit").read_bytes()


def test_names_in_any_script_stay_apart(uploads: Uploads) -> None:
    job = upload(
        uploads, [("契約書.txt", b"The lease runs ten years.\n"), ("証拠.txt", b"Exhibit A shows the dock.\n")]
    )
    assert outcomes(job) == {"契約書.txt": "new", "証拠.txt": "new"}
    job = upload(uploads, [("Müller_brief.txt", b"Mueller argues.\n"), ("Möller_brief.txt", b"Moeller replies.\n")])
    assert outcomes(job) == {"Müller_brief.txt": "new", "Möller_brief.txt": "new"}
    assert {"契約書.txt", "証拠.txt", "Müller_brief.txt", "Möller_brief.txt"} <= sources(uploads)
    assert (uploads.folder / "契約書.txt").read_bytes() == b"The lease runs ten years.\n"
    # A decomposed spelling (as macOS writes names) is the same name, NFC: a new version, not a new document
    decomposed = unicodedata.normalize("NFD", "Müller_brief.txt")
    assert decomposed != "Müller_brief.txt"
    again = upload(uploads, [(decomposed, b"Mueller argues again.\n")])
    assert outcomes(again) == {"Müller_brief.txt": "updated"}
    assert sum(1 for source in sources(uploads) if "ller_brief" in source) == 2


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\ana\\memo.txt", "memo.txt"),
        ("no\x00te.txt", "note.txt"),
        ("bell\x07\x1b[31m.txt", "bell[31m.txt"),
        ("evil\u202etxt.exe.txt", "eviltxt.exe.txt"),
        ('what?"*<>|.txt', "what______.txt"),
        ("  .hidden.txt. ", "hidden.txt"),
        ("長" * 300 + ".txt", "長" * 78 + ".txt"),  # 240 bytes of UTF-8 at most, the suffix kept
        ("a" * 300 + ".txt", "a" * 196 + ".txt"),  # 200 characters at most
    ],
)
def test_names_lose_separators_and_control_characters(uploads: Uploads, given: str, stored: str) -> None:
    job = upload(uploads, [(given, f"Contents of {stored}.\n".encode())])
    assert outcomes(job) == {stored: "new"}
    assert (uploads.folder / stored).is_file() and stored in sources(uploads)
    assert not list(uploads.folder.rglob("*.upload")) and not list(uploads.folder.rglob("*.previous"))


def test_two_parts_under_one_name_are_422_and_nothing_moves(
    uploads: Uploads, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = upload(uploads, [("award.pdf", pdf_bytes(tmp_path, FACT))])["files"][0]
    document_id = stored["document_id"]
    original = (uploads.folder / "award.pdf").read_bytes()
    runner = uploads.client.app.state.docqa.jobs  # type: ignore[attr-defined]
    submitted: list[object] = []
    monkeypatch.setattr(runner, "submit", lambda *args, **kwargs: submitted.append(args))
    for pair in (
        [("award.pdf", b"%PDF-1.4 one"), ("award.pdf", b"%PDF-1.4 two")],
        [("a/award.pdf", b"%PDF-1.4 one"), ("b/award.pdf", b"%PDF-1.4 two")],
    ):
        error = assert_envelope(post(uploads, pair), 422, "invalid_input")
        assert "award.pdf" in error["message"] and error["detail"] == {"field": "files", "file": "award.pdf"}
    assert submitted == []  # no job
    assert (uploads.folder / "award.pdf").read_bytes() == original
    assert sorted(path.name for path in uploads.folder.iterdir() if "award" in path.name) == ["award.pdf"]
    assert_viewable(uploads, document_id)


def test_a_renamed_upload_never_replaces_another_document(uploads: Uploads, tmp_path: Path) -> None:
    first = upload(uploads, [("ruling.pdf", pdf_bytes(tmp_path, FACT))])["files"][0]
    original = (uploads.folder / "ruling.pdf").read_bytes()
    other = pdf_bytes(tmp_path, "A different ruling on costs.", "other.pdf")
    for given in ("appeal/ruling.pdf", "rul\x00ing.pdf"):
        error = assert_envelope(post(uploads, [(given, other)]), 409, "conflict")
        assert "ruling.pdf" in error["message"] and "rename" in error["message"]
        assert error["detail"] == {"field": "files", "file": "ruling.pdf"}
    assert (uploads.folder / "ruling.pdf").read_bytes() == original
    assert_viewable(uploads, first["document_id"])
    # the same content under a renamed name is the same document: nothing to refuse
    assert outcomes(upload(uploads, [("appeal/ruling.pdf", original)])) == {"ruling.pdf": "unchanged"}
    # and the unchanged name is how a new version replaces the stored one
    assert outcomes(upload(uploads, [("ruling.pdf", other)])) == {"ruling.pdf": "updated"}


def test_an_upload_no_job_took_puts_every_file_back(
    uploads: Uploads, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = upload(uploads, [("order.pdf", pdf_bytes(tmp_path, FACT))])["files"][0]
    original = (uploads.folder / "order.pdf").read_bytes()

    def database_down(*args: object, **kwargs: object) -> None:
        raise NotReady("the database is unreachable (OperationalError); see the server log")

    monkeypatch.setattr(uploads.client.app.state.docqa.jobs, "submit", database_down)  # type: ignore[attr-defined]
    other = pdf_bytes(tmp_path, "A new order on discovery.", "other.pdf")
    assert_envelope(post(uploads, [("order.pdf", other), ("fresh.txt", b"New.\n")]), 503, "not_ready")
    assert (uploads.folder / "order.pdf").read_bytes() == original
    assert not (uploads.folder / "fresh.txt").exists() and not list(uploads.folder.glob(".*"))
    assert_viewable(uploads, first["document_id"])


def assert_viewable(uploads: Uploads, document_id: str) -> None:
    """The stored document's page image and highlight still come from its original file."""
    image = uploads.client.get(f"/v1/documents/{document_id}/pages/1/image", params={"width": 300})
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG"), image.text
    page = uploads.client.get(f"/v1/documents/{document_id}/pages/1").json()["text"]
    start = page.index("The arbitrator")
    box = uploads.client.get(
        f"/v1/documents/{document_id}/pages/1/highlight", params={"start": start, "end": start + len(FACT)}
    )
    assert box.status_code == 200 and box.json()["rects"], box.text
