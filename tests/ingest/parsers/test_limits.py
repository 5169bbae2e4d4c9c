"""Parse limits: each one stops its kind of hostile or giant file, while it is read, with a one-line reason that
names the limit and its setting; real files pass the defaults; a batch with bombs goes on and loses nothing."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.parse_worker import ParseWorker
from ingest.parsers import LimitExceeded, ParseError, ParseLimits, parser_for
from service.components import Components
from service.core.settings import IngestSettings, Settings
from tests.support import bombs
from tests.support.documents import LOREM_LEGAL, write_eml, write_pdf
from tests.support.paths import DATA

SMALL = ParseLimits(
    max_text_chars=500_000,
    max_text_per_byte=50,
    max_pages=3,
    max_archive_members=200,
    max_archive_mb=4,
    max_archive_ratio=100,
    max_depth=300,
    max_parse_s=60,
)
"""Limits low enough that the bombs below stay small and fast."""


def refused(path: Path, limits: ParseLimits = SMALL) -> ParseError:
    parser = parser_for(path)
    assert parser is not None
    with pytest.raises(ParseError) as caught:
        parser(path, limits)
    message = caught.value.message
    assert "\n" not in message and message.startswith(f"{path.name}: "), message
    return caught.value


def check_limit(error: ParseError, limit: str, *fragments: str) -> None:
    assert isinstance(error, LimitExceeded), error.message
    assert error.limit == limit
    assert f"(DOCQA_INGEST__{limit.upper()})" in error.message, error.message
    for fragment in fragments:
        assert fragment in error.message, error.message


def test_zip_bomb_docx_is_refused_from_the_central_directory(tmp_path: Path) -> None:
    error = refused(bombs.zip_bomb_docx(tmp_path / "bomb.docx", expanded_mb=6))
    check_limit(error, "max_archive_mb", "bomb.docx: expands to ", " MB, over the 4 MB limit")


def test_highly_compressed_docx_member_is_refused(tmp_path: Path) -> None:
    limits = ParseLimits(max_archive_mb=50, max_archive_ratio=100)
    error = refused(bombs.zip_bomb_docx(tmp_path / "ratio.docx", expanded_mb=3), limits)
    check_limit(error, "max_archive_ratio", "word/media/padding.bin expands", "over the 100 times limit")


def test_docx_with_too_many_members_is_refused(tmp_path: Path) -> None:
    error = refused(bombs.many_members_docx(tmp_path / "many.docx", 300))
    check_limit(error, "max_archive_members", "archive members, over the 200 limit")


def test_billion_laughs_docx_is_refused_before_any_entity_is_expanded(tmp_path: Path) -> None:
    error = refused(bombs.billion_laughs_docx(tmp_path / "laughs.docx"))
    assert "word/document.xml declares a DTD or entities" in error.message


def test_docx_text_is_counted_against_its_file_size(tmp_path: Path) -> None:
    # 3 MB of text from a ~40 KB file: under the ratio limit (checked from 1 MB members), over the text per byte
    limits = ParseLimits(max_archive_ratio=10_000, max_text_per_byte=20)
    error = refused(bombs.text_bomb_docx(tmp_path / "dense.docx", text_mb=3), limits)
    check_limit(error, "max_text_per_byte", "characters of text from", "over the limit of 20 per byte")


def test_text_is_refused_at_the_limit_while_it_is_read(tmp_path: Path) -> None:
    error = refused(bombs.one_line_text(tmp_path / "giant.txt", size_mb=3))
    check_limit(error, "max_text_chars", "more than 500,000 characters of text")
    # a file just under the limit reads whole, offsets exact
    fine = bombs.one_line_text(tmp_path / "fine.txt", size_mb=0.4)
    parser = parser_for(fine)
    assert parser is not None
    assert parser(fine, SMALL).pages[0].text == fine.read_text()


def test_deep_html_is_refused_before_it_becomes_a_tree(tmp_path: Path) -> None:
    error = refused(bombs.deep_html(tmp_path / "deep.html", depth=5_000))
    check_limit(error, "max_depth", "nested more than 300 deep")
    shallow = bombs.deep_html(tmp_path / "shallow.html", depth=200)
    parser = parser_for(shallow)
    assert parser is not None and parser(shallow, SMALL).pages[0].text == "deep"


def test_pdf_pages_are_counted_before_they_are_read(tmp_path: Path) -> None:
    error = refused(write_pdf(tmp_path / "long.pdf", [LOREM_LEGAL] * 5))
    check_limit(error, "max_pages", "5 pages, over the 3 page limit")


def test_email_body_text_is_limited(tmp_path: Path) -> None:
    path = write_eml(tmp_path / "long.eml", "Offer", "We propose a settlement. " * 40_000)
    error = refused(path)
    check_limit(error, "max_text_chars", "more than 500,000 characters")


def test_wall_time_is_checked_while_parsing(tmp_path: Path) -> None:
    error = refused(write_pdf(tmp_path / "slow.pdf", [LOREM_LEGAL]), ParseLimits(max_parse_s=1e-9))
    check_limit(error, "max_parse_s", "parsing took more than 1e-09 s")


def test_real_files_pass_the_default_limits() -> None:
    limits = ParseLimits.from_settings(IngestSettings())
    files = [path for path in sorted(DATA.rglob("*")) if path.is_file() and parser_for(path) is not None]
    assert len(files) >= 5
    for path in files:
        parser = parser_for(path)
        assert parser is not None
        parsed = parser(path, limits)
        assert parsed.pages, path


def test_worker_parses_reports_limits_and_survives_a_runaway(tmp_path: Path) -> None:
    worker = ParseWorker(memory_mb=300)
    try:
        good = write_pdf(tmp_path / "good.pdf", [LOREM_LEGAL])
        assert LOREM_LEGAL.split()[0] in worker(good, SMALL).pages[0].text
        first = worker.pid
        with pytest.raises(LimitExceeded) as limit:
            worker(bombs.deep_html(tmp_path / "deep.html", depth=5_000), SMALL)
        assert limit.value.limit == "max_depth" and worker.pid == first  # a reason, not a crash: same child
        # a runaway: 120 MB of text with the text limits lifted needs more than the child's 300 MB
        giant = bombs.one_line_text(tmp_path / "giant.txt", size_mb=120)
        with pytest.raises(LimitExceeded) as memory:
            worker(giant, ParseLimits(max_text_chars=10**9, max_text_per_byte=10**6))
        check_limit(memory.value, "worker_memory_mb", "giant.txt: parsing needed more than 300 MB of memory")
        assert worker(good, SMALL).pages  # a fresh child parses the next file
        assert worker.pid != first
    finally:
        worker.close()


def test_worker_is_killed_past_the_wall_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.parse_worker as parse_worker

    monkeypatch.setattr(parse_worker, "GRACE_S", 0.0)
    worker = ParseWorker(memory_mb=1024)
    try:
        # lxml's HTML pass does not look at the clock within one feed; the parent's deadline still holds
        path = bombs.deep_html(tmp_path / "deep.html", depth=200_000)
        started = time.monotonic()
        with pytest.raises(LimitExceeded) as caught:
            worker(path, ParseLimits(max_depth=10**7, max_parse_s=0.05))
        assert caught.value.limit == "max_parse_s"
        assert time.monotonic() - started < 60
        assert worker.pid is None  # killed
    finally:
        worker.close()


def test_a_batch_of_bombs_goes_on_and_keeps_what_was_stored(
    tmp_path: Path, settings: Settings, make_components: Callable[..., Components]
) -> None:
    root = tmp_path / "in"
    root.mkdir()
    (root / "lease.txt").write_text("The tenant shall pay rent of $4,200 on the first day of each month.\n")
    limited = settings.model_copy(
        update={"ingest": IngestSettings(max_archive_mb=4, max_depth=300, max_text_chars=500_000)}
    )
    components = make_components(limited)
    first = components.pipeline("matter").ingest([root])
    assert first.count("new") == 1
    lease = components.store.find_document("matter", "lease.txt")
    assert lease is not None
    # the stored file is replaced by a giant one, and bombs arrive beside it
    bombs.one_line_text(root / "lease.txt", size_mb=2)
    bombs.zip_bomb_docx(root / "bomb.docx", expanded_mb=6)
    bombs.billion_laughs_docx(root / "laughs.docx")
    bombs.deep_html(root / "deep.html", depth=5_000)
    (root / "note.md").write_text("# Note\n\nThe hearing is on 9 April.\n")
    summary = components.pipeline("matter").ingest([root])
    reasons = {result.source: result.error or "" for result in summary.files if result.outcome == "failed"}
    assert set(reasons) == {"lease.txt", "bomb.docx", "laughs.docx", "deep.html"}, reasons
    assert "(DOCQA_INGEST__MAX_TEXT_CHARS)" in reasons["lease.txt"]
    assert "(DOCQA_INGEST__MAX_ARCHIVE_MB)" in reasons["bomb.docx"]
    assert "(DOCQA_INGEST__MAX_DEPTH)" in reasons["deep.html"]
    assert summary.count("new") == 1  # note.md
    # the lease's stored version is kept: its chunks are still there and searchable
    kept = components.store.find_document("matter", "lease.txt")
    assert kept is not None and kept.id == lease.id
    assert components.store.chunk_ids("matter") == components.index("matter").ids()
    assert len(components.store.chunk_ids("matter")) >= 2


def test_a_worker_killed_from_outside_fails_its_file_with_a_reason(tmp_path: Path) -> None:
    # as the kernel's OOM killer would: SIGKILL while a slow file is parsed
    worker = ParseWorker(memory_mb=1024)
    slow = bombs.deep_html(tmp_path / "slow.html", depth=400_000)
    killed: list[int] = []

    def kill_once() -> bool:
        if not killed and worker.pid is not None:
            killed.append(worker.pid)
            os.kill(worker.pid, signal.SIGKILL)
        return False

    worker.should_stop = kill_once
    try:
        with pytest.raises(ParseError) as caught:
            worker(slow, ParseLimits(max_depth=10**8))
        message = caught.value.message
        assert message.startswith("slow.html: the parser process stopped (killed by SIGKILL)"), message
        assert "(DOCQA_INGEST__WORKER_MEMORY_MB)" in message and "\n" not in message
        worker.should_stop = None
        assert worker(bombs.deep_html(tmp_path / "small.html", 10), ParseLimits()).pages[0].text == "deep"
    finally:
        worker.close()


def test_the_limits_defaults_are_the_settings_defaults() -> None:
    assert ParseLimits() == ParseLimits.from_settings(IngestSettings())
