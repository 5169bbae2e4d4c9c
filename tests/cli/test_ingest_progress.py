"""``docqa ingest`` piped (as under docker or systemd): one plain, unwrapped line on stderr per file as it
finishes, and a summary whose lines are not cut at 80 columns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from service.core.settings import Settings
from tests.support.paths import REPO


def test_piped_ingest_prints_one_whole_line_per_file(tmp_path: Path, settings: Settings) -> None:
    root = tmp_path / "in"
    root.mkdir()
    long_name = "deposition_of_the_harbour_master_regarding_the_collision_in_the_outer_channel_" * 2 + "1.txt"
    (root / long_name).write_text("The harbour master saw the collision at dawn.\n")
    (root / "lease.txt").write_text("The tenant shall pay rent of $4,200 on the first day of each month.\n")
    (root / "empty_exhibit_with_a_rather_long_name_that_explains_what_it_should_have_been.pdf").write_bytes(b"")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(entry for entry in sys.path if entry),
        "DOCQA_DATA_DIR": str(settings.data_dir),
        "DOCQA_DATABASE_URL": settings.resolved_database_url,
        "DOCQA_EMBEDDING__CACHE_DIR": str(settings.embedding.cache_dir),
        "DOCQA_OCR__ENABLED": "false",
        "COLUMNS": "80",
    }
    command = [sys.executable, "-c", "from service.cli import app; app()", "ingest", str(root), "-c", "matter"]
    run = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("ingest: ")]
    assert lines[0] == "ingest: 3 files"
    per_file = lines[1:]
    assert len(per_file) == 3, run.stderr
    assert [line.split(" files · ")[0] for line in per_file] == ["ingest: 1/3", "ingest: 2/3", "ingest: 3/3"]
    assert any(line.endswith(f"· new {long_name}") for line in per_file), per_file
    failed = next(line for line in per_file if " failed " in line)
    assert failed.endswith("the file is empty (0 bytes)")
    assert "\x1b" not in run.stderr and "━" not in run.stderr  # no bar, no colour codes
    summary = run.stdout.splitlines()
    assert summary[0].startswith("matter: 2 new · 0 updated · 0 unchanged · 1 failed · 0 removed · ")
    assert summary[1].strip() == (
        "✗ empty_exhibit_with_a_rather_long_name_that_explains_what_it_should_have_been.pdf: "
        "the file is empty (0 bytes)"
    )
