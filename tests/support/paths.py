"""Where things are: the repository, the test data, the shared cache of models built by fixtures."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
DATA = TESTS / "data"
COURT = DATA / "court"
"""Real court filings (small PDFs, some scanned) that tests parse, ingest and ask about."""
CACHE = REPO / ".cache"
"""Models exported or built by fixtures, kept between runs (gitignored)."""
