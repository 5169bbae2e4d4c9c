"""Two walled matters with planted facts, an app over them, and one editor key per matter (plus an admin key).

Matter ``alpha`` holds facts that must never reach a ``bravo`` key: ``ALPHA_TOKENS`` are words that
occur only in alpha's documents (text, titles, file names), so finding one in a response to a bravo
request is a leak. The matters' names have the same length as ``MISSING``, a collection that does not
exist, so "forbidden" and "missing" responses can be compared byte for byte.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from service.api.app import create_app
from service.components import Components
from service.core.domain import DocumentRecord
from tests.support.documents import LOREM_LEGAL, write_docx, write_pdf
from tests.support.paths import COURT

ALPHA, BRAVO, MISSING = "alpha", "bravo", "omega"

ALPHA_FACTS = (
    "Project NIGHTJAR settled with Halvorsen Maritime for $7,340,000, payable in three instalments.",
    "The chief engineer, Ingrid Solvang-Okafor, testified that the ballast pump on the vessel Quillfeather "
    "failed on 14 March 2025 because of a cracked impeller.",
    "Halvorsen Maritime's insurer, Brandvold Mutual, reserved its rights under policy BM-88213.",
)
ALPHA_TOKENS = (
    "nightjar",
    "halvorsen",
    "7,340,000",
    "7340000",
    "solvang",
    "okafor",
    "quillfeather",
    "impeller",
    "brandvold",
    "bm-88213",
)
"""Lower-case; a response is checked case-insensitively."""

BRAVO_FACTS = (
    "Project KESTREL: Brightwater Foods disputes the warehouse lease and withholds rent of $215,500.",
    "The arbitrator, Delphine Marchetti, set the hearing in the lease dispute for 2 June 2026.",
    "Brightwater Foods claims the landlord failed to repair the loading dock roof.",
)


def write_alpha(folder: Path) -> Path:
    folder.mkdir(parents=True)
    write_pdf(
        folder / "nightjar_settlement.pdf",
        [ALPHA_FACTS[0] + "\n\n" + LOREM_LEGAL, ALPHA_FACTS[1] + "\n\n" + ALPHA_FACTS[2]],
        title="NIGHTJAR settlement with Halvorsen Maritime",
    )
    (folder / "halvorsen_notes.txt").write_text(" ".join(ALPHA_FACTS) + "\n")
    return folder


def write_bravo(folder: Path) -> Path:
    folder.mkdir(parents=True)
    write_pdf(folder / "kestrel_lease.pdf", [BRAVO_FACTS[0] + "\n\n" + LOREM_LEGAL, BRAVO_FACTS[1]], "KESTREL lease")
    write_docx(folder / "brightwater_memo.docx", ["Memo", BRAVO_FACTS[2], BRAVO_FACTS[1]])
    return folder


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class Matters:
    """The app over both matters, its components, the keys' secrets by name and alpha's real ids."""

    client: TestClient
    parts: Components
    keys: dict[str, str]
    alpha_documents: list[DocumentRecord]
    alpha_job_id: str

    def headers(self, key: str) -> dict[str, str]:
        return bearer(self.keys[key])


def build_matters(root: Path, parts: Components, with_keys: bool = True) -> Matters:
    """Ingest both matters, create the keys and upload one more alpha file (for a real job id)."""
    parts.pipeline(ALPHA).ingest([write_alpha(root / "in-alpha")])
    parts.pipeline(BRAVO).ingest([write_bravo(root / "in-bravo")])
    keys: dict[str, str] = {}
    if with_keys:
        keys = {
            ALPHA: parts.keys.create("alpha-team", [ALPHA], "editor"),
            BRAVO: parts.keys.create("bravo-team", [BRAVO], "editor"),
            "admin": parts.keys.create("records-office", [], "admin"),
        }
    client = TestClient(create_app(parts.settings, parts))
    upload = client.post(
        f"/v1/collections/{ALPHA}/documents",
        files={"files": ("nightjar_board_minutes.txt", f"Board minutes. {ALPHA_FACTS[0]}\n".encode(), "text/plain")},
        headers=bearer(keys[ALPHA]) if with_keys else {},
    )
    assert upload.status_code == 202, upload.text
    job_id = upload.json()["job_id"]
    wait_for_job(client, job_id, bearer(keys[ALPHA]) if with_keys else {})
    return Matters(client, parts, keys, parts.store.list_documents(ALPHA), job_id)


def ingest_court_filings(parts: Components, collection: str, folder: Path, names: Sequence[str]) -> None:
    """Copy the court filings ``names`` (``tests/data/court``) into ``folder`` and ingest them, all new."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(COURT / name, folder / name)
    summary = parts.pipeline(collection).ingest([folder])
    assert [result.outcome for result in summary.files] == ["new"] * len(names), summary.files


def wait_for_job(client: TestClient, job_id: str, headers: dict[str, str], timeout_s: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, object] = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] == "done" or time.monotonic() > deadline:
            assert job["status"] == "done", job
            return job
        time.sleep(0.05)
