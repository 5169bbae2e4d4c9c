"""Asks while their documents are deleted and uploaded again, for a minute per database: 0 may fail.

Run from the repository root:  .venv/bin/python tests/benchmarks/ask_race.py [--seconds 60] [--askers 3]
[--databases sqlite postgresql]

Per database: the API test corpus is ingested into a fresh database, a real uvicorn serves it, and for
``--seconds`` one thread deletes and re-uploads the race collection's three documents one after another while
``--askers`` threads ask about them every way (``/v1/ask``, its stream, chat completions, streamed or not).
Prints the counts as JSON: asks by way, failed asks (any non-200, or an error event inside a stream) with
samples, answers with citations, deletes and re-uploads. PostgreSQL: ``DOCQA_TEST_POSTGRES`` or
127.0.0.1:5432/test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from service.api.app import create_app  # noqa: E402
from service.components import build_embedder  # noqa: E402
from service.core.settings import EmbeddingSettings  # noqa: E402
from tests.support.api import ingested_corpus, serving  # noqa: E402
from tests.support.paths import CACHE  # noqa: E402
from tests.support.race import run_race  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--askers", type=int, default=3)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    options = parser.parse_args()
    models = CACHE / "models"
    embedder = build_embedder(EmbeddingSettings(), models)
    failed = 0
    for kind in options.databases:
        with tempfile.TemporaryDirectory() as folder, ingested_corpus(kind, Path(folder), models, embedder) as corpus:
            parts = corpus.components()
            try:
                with serving(create_app(parts.settings, parts)) as root:
                    counts = run_race(root, Path(folder) / "corpus", options.seconds, options.askers)
            finally:
                parts.close()
        failed += sum(counts.failed.values())
        print(json.dumps({"database": kind, "seconds": options.seconds, **counts.as_dict()}, ensure_ascii=False))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
