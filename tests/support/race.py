"""Asking while documents vanish: one thread deletes and re-uploads documents of a collection while others ask
about them every way a question travels (``/v1/ask``, its stream, chat completions, streamed or not), against
a real server. Shared by the suite's short race (tests/api/test_ask_race.py) and the 60 s benchmark
(tests/benchmarks/ask_race.py).
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

RACE = "race"
QUESTIONS = (
    ("What monthly rent does the tenant pay?", "lease.pdf"),
    ("When does the lease term end?", "lease.pdf"),
    ("How much is the settlement fee?", "settlement.pdf"),
    ("When is the deposition of Maria Lopez?", "deposition.txt"),
)
WAYS = ("ask", "ask-stream", "chat", "chat-stream")


@dataclass
class RaceCounts:
    """What a race did: asks by way, the failed ones with a sample of why, and the churn it survived."""

    asks: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    answered: int = 0
    deletes: int = 0
    uploads: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "asks": sum(self.asks.values()),
            "by_way": dict(self.asks),
            "failed": sum(self.failed.values()),
            "answered": self.answered,
            "deletes": self.deletes,
            "re_uploads": self.uploads,
            "failure_samples": self.failures[:5],
        }


def upload(client: httpx.Client, path: Path) -> str:
    """Upload one file into the race collection and wait for its job; the document id."""
    response = client.post(f"/v1/collections/{RACE}/documents", files={"files": (path.name, path.read_bytes())})
    response.raise_for_status()
    job_id = response.json()["job_id"]
    deadline = time.monotonic() + 60
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] == "done":
            entry = job["files"][0]
            assert entry["outcome"] in ("new", "updated", "unchanged"), entry
            document_id: str = entry["document_id"]
            return document_id
        assert time.monotonic() < deadline, job
        time.sleep(0.02)


def failure_of(way: str, response: httpx.Response) -> str | None:
    """Why an answer failed, or None: a non-200 status, or an error inside a stream."""
    if response.status_code != 200:
        return f"{way}: {response.status_code} {response.text[:200]}"
    text = response.text
    if way == "ask-stream" and "event: error" in text:
        return f"{way}: stream error {text[text.index('event: error') :][:200]}"
    if way == "chat-stream" and '"error"' in text:
        return f"{way}: stream error {text[:200]}"
    return None


def ask_once(client: httpx.Client, way: str, question: str) -> httpx.Response:
    if way.startswith("ask"):
        body = {"question": question, "collection": RACE, "stream": way == "ask-stream"}
        return client.post("/v1/ask", json=body)
    chat = {"model": f"docqa/{RACE}", "messages": [{"role": "user", "content": question}]}
    return client.post("/v1/chat/completions", json={**chat, "stream": way == "chat-stream"})


def answered(way: str, response: httpx.Response) -> bool:
    """Whether the response carried an answer with a citation (not a refusal)."""
    if way in ("ask", "chat"):
        return bool(response.json()["citations"])
    return '"citations": [{' in response.text or '"citations":[{' in response.text.replace(" ", "")


def run_race(root: str, corpus: Path, duration_s: float, askers: int = 3) -> RaceCounts:
    """Upload the race's files to ``root``, then for ``duration_s`` delete and re-upload them one after another
    while ``askers`` threads ask about them; the counts."""
    counts = RaceCounts()
    lock = threading.Lock()
    names = sorted({name for _, name in QUESTIONS})
    with httpx.Client(base_url=root, timeout=60) as client:
        ids = {name: upload(client, corpus / name) for name in names}
    stop = threading.Event()

    def churn() -> None:
        with httpx.Client(base_url=root, timeout=60) as client:
            for name in itertools.cycle(names):
                if stop.is_set():
                    return
                deleted = client.delete(f"/v1/documents/{ids[name]}")
                assert deleted.status_code == 204, deleted.text
                counts.deletes += 1
                time.sleep(0.01)  # asks run against the collection without it for a moment
                ids[name] = upload(client, corpus / name)
                counts.uploads += 1

    def ask(offset: int) -> None:
        turns = itertools.cycle(itertools.product(QUESTIONS, WAYS))
        for _ in range(offset):
            next(turns)
        with httpx.Client(base_url=root, timeout=60) as client:
            while not stop.is_set():
                (question, _), way = next(turns)
                response = ask_once(client, way, question)
                why = failure_of(way, response)
                with lock:
                    counts.asks[way] += 1
                    if why:
                        counts.failed[way] += 1
                        counts.failures.append(why)
                    elif answered(way, response):
                        counts.answered += 1

    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as error:  # reported by the caller, not lost in the thread
            errors.append(error)
            stop.set()

    work = [churn, *(functools.partial(ask, index * 5) for index in range(askers))]
    runners = [threading.Thread(target=guarded, args=(target,), name="docqa-race") for target in work]
    for runner in runners:
        runner.start()
    stop.wait(duration_s)
    stop.set()
    for runner in runners:
        runner.join(timeout=120)
    if errors:
        raise errors[0]
    return counts
