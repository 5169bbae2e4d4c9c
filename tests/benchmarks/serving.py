"""What the HTTP benchmarks share: ``docqa serve`` started on a free port, its environment, the CPU it runs on.

Imported by ``search_latency.py`` and ``ask_latency.py`` as a sibling module (run them as scripts).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
READY_S = 120
"""Seconds a server gets to answer ``/readyz`` (it loads the model, and each worker its own)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(data: Path) -> dict[str, str]:
    """This process's environment with docqa pointed at ``data``, no rate limit and no network for models."""
    return {
        **os.environ,
        "DOCQA_DATA_DIR": str(data),
        "DOCQA_EMBEDDING__CACHE_DIR": os.environ.get("DOCQA_EMBEDDING__CACHE_DIR", str(REPO / ".cache" / "models")),
        "DOCQA_SERVER__RATE_LIMIT_PER_MINUTE": "0",
        "HF_HUB_OFFLINE": "1",
    }


def docqa(*arguments: str) -> list[str]:
    """The command line of ``docqa ARGUMENTS`` with this checkout's code (``-m`` puts the working directory,
    ``REPO``, first on ``sys.path``)."""
    return [sys.executable, "-m", "service", *arguments]


@contextmanager
def served(env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """``docqa serve --workers N`` on a free port; yields its base URL once ``/readyz`` answers 200, and
    stops the server on leaving. A server that exits or is not ready in ``READY_S`` is an error with the
    end of its log."""
    with served_process(env, workers) as (base, _):
        yield base


@contextmanager
def served_process(env: dict[str, str], workers: int = 1) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``served``, yielding the server process too (its pid, for memory measurements)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            docqa("serve", "--port", str(port), "--workers", str(workers)),
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + READY_S
            while not _ready(base):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-3000:]
                    raise RuntimeError(f"docqa serve did not become ready on {base}:\n{tail}")
                time.sleep(0.2)
            yield base, server
        finally:
            server.terminate()
            server.wait(timeout=30)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def cpu_description() -> str:
    """The CPU's model name, family and model numbers (machines named alike differ: Zen 3 is family 25, Zen 5
    family 26) and the vector extensions that decide int8 speed (AVX-512 VNNI, or AVX2 only; AMX where present)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "CPU unknown"
    fields = {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in info.splitlines())}
    flags = set(fields.get("flags", "").split())
    name = fields.get("model name", "unknown")
    ranked = (("avx512_vnni", "AVX-512 VNNI"), ("avx512f", "AVX-512"), ("avx2", "AVX2 only"))
    extensions = next((label for flag, label in ranked if flag in flags), "no AVX2")
    if "amx_int8" in flags:
        extensions += ", AMX"
    generation = f"family {fields.get('cpu family', '?')} model {fields.get('model', '?')}"
    return f"{name} ({generation}), {extensions}"
