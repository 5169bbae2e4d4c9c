"""Property-based requests from docqa's own OpenAPI document (``schemathesis``), against a real server on SQLite
and PostgreSQL, while no key exists and with a key: no 5xx, and every response has a documented status code,
content type and body. Bounded (a few hundred requests per database); tests/benchmarks/fuzz_api.py sends
thousands.

Half of the requests that fit the schema use names that exist (the corpus's collection and documents, pages
1 and 2) and values the databases would choke on (NUL characters, page numbers from 2^31 on): random names
alone stop at the first 404.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.api.app import create_app
from service.core.seams import Embedder
from service.core.settings import ServerSettings
from tests.support.api import COLLECTION, Corpus, ingested_corpus, serving
from tests.support.fuzz import FuzzCounts, fuzz

EXAMPLES = 6
"""Requests per operation and generation mode (schema-fitting and not) in each pass."""


def known_values(corpus: Corpus) -> dict[str, list[Any]]:
    """Names that exist, and values no database stores, for the fuzzer to mix into what it generates."""
    return {
        "collection": [COLLECTION, "mat\x00ter"],
        "model": [f"docqa/{COLLECTION}", "docqa/mat\x00ter"],
        "document_id": [*(record.id for record in corpus.documents.values()), "ab\x00cd"],
        "number": [1, 2, 2**31, 2**63 + 5],
        "question": ["What monthly rent does the tenant pay?", "What rent?\x00"],
        "query": ["monthly rent", "rent\x00"],
        "thread_id": ["0123456789abcdef", "ab\x00cd"],
        "title": ["Rent questions", "Rent\x00questions"],
        "answer_id": ["0123456789abcdef", "ab\x00cd"],
        "comment": ["The rent is wrong.", "wrong\x00", "x" * 2001],
        "correction": ["The rent is $4,200.", "rent\x00"],
        "format": ["kto", "dpo", "eval", "csv"],
    }


def assert_clean(counts: FuzzCounts, least: int) -> None:
    report = counts.as_dict()
    assert counts.server_errors == 0 and not counts.violations, report
    assert counts.requests >= least, report


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_generated_requests_get_no_5xx_and_match_the_schema(
    kind: str, tmp_path: Path, models_cache: Path, embedder: Embedder
) -> None:
    # no rate limit: the requests are meant to reach the engines, not the 429 of a spent budget
    unlimited = ServerSettings(rate_limit_per_minute=0)
    with ingested_corpus(kind, tmp_path, models_cache, embedder, server=unlimited) as corpus:
        parts = corpus.components()
        known = known_values(corpus)
        try:
            with serving(create_app(parts.settings, parts)) as root:
                open_api = fuzz(root, EXAMPLES, known=known)  # no key exists: open to this machine
                key = parts.keys.create("fuzz", [COLLECTION])
                keyed = fuzz(root, EXAMPLES, headers={"Authorization": f"Bearer {key}"}, known=known)
                keyless = fuzz(root, 1, known=known)  # a key exists now: none sent, 401
        finally:
            parts.close()
    assert_clean(open_api, 120)
    assert_clean(keyed, 120)
    assert_clean(keyless, 10)
    for counts in (open_api, keyed):
        assert counts.statuses[200] >= 30 and counts.statuses[422] >= 30, counts.as_dict()  # deep and refused
    # malformed requests are still told so (422 names a field, not a matter); nothing else passes
    assert set(keyless.statuses) <= {200, 401, 422} and keyless.statuses[200] == 1, keyless.as_dict()  # /healthz
