"""Feedback on answers over HTTP and its export, on SQLite and PostgreSQL with the real parts (extractive mode).

Every answer (``/v1/ask``, streamed or not, and chat completions) comes with an ``answer_id``; its record holds
the question, the retrieved chunk ids, the prompt version, the model and the answer, and its audit row names it.
Feedback is walled like a thread (another key's answer is the 404 of a missing one), checked (a comment over the
limit is a 422 naming it) and audited. An admin exports it as TRL's KTO and DPO rows, which the ``datasets``
library loads with TRL's documented columns and types, and as a question file ``docqa eval`` reads; a reader or
an editor may not. Deleting a thread deletes its answers and their feedback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from service.cli import app as cli
from service.components import Components
from service.core.feedback import COMMENT_MAX_CHARS
from service.core.settings import Settings
from service.engine.answering.prompts import REFUSAL_SENTENCE
from service.engine.evaluation.question_file import load_questions
from tests.support.matters import ALPHA, BRAVO, Matters, bearer, build_matters

SETTLED = "How much did Halvorsen Maritime settle Project NIGHTJAR for?"
CORRECTION = "Halvorsen Maritime settled Project NIGHTJAR for $7,340,000, payable in three instalments."


@pytest.fixture
def matters(tmp_path: Path, components: Components) -> Matters:
    return build_matters(tmp_path, components)


def ask(matters: Matters, key: str, question: str, collection: str = ALPHA, **extra: Any) -> dict[str, Any]:
    body = {"question": question, "collection": collection, **extra}
    response = matters.client.post("/v1/ask", json=body, headers=matters.headers(key))
    assert response.status_code == 200, response.text
    answered: dict[str, Any] = response.json()
    return answered


def rate(matters: Matters, headers: dict[str, str], answer_id: str, **body: Any) -> Any:
    return matters.client.post(f"/v1/answers/{answer_id}/feedback", json=body, headers=headers)


def test_every_answer_can_be_rated_behind_the_walls_and_is_audited(matters: Matters) -> None:
    client, alpha = matters.client, matters.headers(ALPHA)
    first = ask(matters, ALPHA, SETTLED)
    answer_id = first["answer_id"]
    assert answer_id and "7,340,000" in first["answer"]
    streamed = client.post(
        "/v1/ask", json={"question": SETTLED, "collection": ALPHA, "stream": True}, headers=alpha
    ).text.split("event: done\ndata: ")[1]
    chat = client.post(
        "/v1/chat/completions",
        json={"model": f"docqa/{ALPHA}", "messages": [{"role": "user", "content": SETTLED}]},
        headers=alpha,
    ).json()
    ids = {answer_id, json.loads(streamed.split("\n")[0])["answer_id"], chat["answer_id"]}
    assert len(ids) == 3 and None not in ids

    # the record: what was asked, retrieved and answered, by which model and prompt
    kept = client.get(f"/v1/answers/{answer_id}", headers=alpha).json()
    assert (kept["question"], kept["answer"], kept["thread_id"]) == (SETTLED, first["answer"], first["thread_id"])
    assert kept["retrieved_chunk_ids"] and kept["prompt_version"] and kept["model"] and kept["feedback"] is None
    audited = {row["payload"].get("answer_id"): row for row in matters.parts.audit.export() if row["action"] == "ask"}
    assert audited[answer_id]["payload"]["answer"] == first["answer"]
    assert [item["chunk_id"] for item in audited[answer_id]["payload"]["retrieved"]] == kept["retrieved_chunk_ids"]

    # bad input: a clear 422 naming the field; the wall comes first
    too_long = rate(matters, alpha, answer_id, rating="down", comment="x" * (COMMENT_MAX_CHARS + 1))
    assert too_long.status_code == 422 and str(COMMENT_MAX_CHARS) in too_long.json()["error"]["message"]
    assert too_long.json()["error"]["detail"] == {"field": "comment", "max": COMMENT_MAX_CHARS}
    assert rate(matters, alpha, answer_id, rating="up", reason="wrong").status_code == 422
    unknown_reason = rate(matters, alpha, answer_id, rating="down", reason="rude")
    assert unknown_reason.status_code == 422 and "reason" in unknown_reason.text
    assert rate(matters, alpha, answer_id, rating="sideways").status_code == 422

    # walls: unknown, another matter's key, and another key of the same matter all meet one 404
    reader = bearer(matters.parts.keys.create("alpha-reader", [ALPHA], "reader"))
    missing = rate(matters, alpha, "0123456789abcdef", rating="up")
    assert missing.status_code == 404 and missing.json()["error"]["detail"] == {"field": "answer_id"}
    for headers in (matters.headers(BRAVO), reader):
        for response in (
            rate(matters, headers, answer_id, rating="down", comment="x" * (COMMENT_MAX_CHARS + 1)),
            client.get(f"/v1/answers/{answer_id}", headers=headers),
        ):
            assert response.status_code == 404
            assert response.json()["error"]["message"] == f"answer {answer_id!r} not found"
    bravo_answer = ask(matters, BRAVO, "What rent does Brightwater Foods withhold?", BRAVO)["answer_id"]
    assert rate(matters, alpha, bravo_answer, rating="up").status_code == 404

    # feedback kept (the latest replaces the earlier), shown with the answer, audited
    assert rate(matters, alpha, answer_id, rating="up").status_code == 200
    given = rate(matters, alpha, answer_id, rating="down", reason="incomplete", comment="  Name the instalments. ")
    assert given.status_code == 200, given.text
    assert given.json() | {"created_at": None} == {
        "answer_id": answer_id,
        "rating": "down",
        "reason": "incomplete",
        "comment": "Name the instalments.",
        "correction": None,
        "key_name": "alpha-team",
        "created_at": None,
    }
    assert client.get(f"/v1/answers/{answer_id}", headers=alpha).json()["feedback"]["reason"] == "incomplete"
    turn = client.get(f"/v1/threads/{first['thread_id']}", headers=alpha).json()["turns"][0]
    assert (turn["answer_id"], turn["rating"]) == (answer_id, "down")
    admin_view = client.get(f"/v1/answers/{answer_id}", headers=matters.headers("admin"))
    assert admin_view.status_code == 200
    feedback_rows = [row for row in matters.parts.audit.export() if row["action"] == "feedback"]
    assert [(row["key_name"], row["collection"], row["outcome"]) for row in feedback_rows] == [
        ("alpha-team", ALPHA, "up"),
        ("alpha-team", ALPHA, "down"),
    ]
    assert feedback_rows[1]["payload"]["comment"] == "Name the instalments."

    # deleting the thread deletes its answers and their feedback
    assert client.delete(f"/v1/threads/{first['thread_id']}", headers=alpha).status_code == 204
    assert client.get(f"/v1/answers/{answer_id}", headers=matters.headers("admin")).status_code == 404
    with matters.parts.sql.engine.connect() as connection:
        kept_ids = {row[0] for row in connection.execute(text("SELECT id FROM answers"))}
        rated = connection.execute(text("SELECT count(*) FROM answer_feedback")).scalar_one()
    assert answer_id not in kept_ids and chat["answer_id"] in kept_ids and rated == 0


def test_an_admin_exports_feedback_that_trl_and_docqa_eval_read(
    matters: Matters, cli_env: Settings, tmp_path: Path
) -> None:
    client, alpha, admin = matters.client, matters.headers(ALPHA), matters.headers("admin")
    good = ask(matters, ALPHA, SETTLED)
    assert rate(matters, alpha, good["answer_id"], rating="up").status_code == 200
    corrected = ask(matters, ALPHA, "Who testified about the ballast pump?")
    response = rate(
        matters, alpha, corrected["answer_id"], rating="down", reason="incomplete", comment="Say when it failed.",
        correction="Ingrid Solvang-Okafor testified that the pump failed on 14 March 2025.",
    )  # fmt: skip
    assert response.status_code == 200, response.text
    refused = ask(matters, ALPHA, "Which insurer reserved its rights?")
    assert rate(matters, alpha, refused["answer_id"], rating="down", reason="should_have_refused").status_code == 200
    unrated = "What is the name of the vessel?"
    ask(matters, ALPHA, unrated)
    bravo = ask(matters, BRAVO, "What rent does Brightwater Foods withhold?", BRAVO)
    assert rate(matters, matters.headers(BRAVO), bravo["answer_id"], rating="down", reason="wrong").status_code == 200

    # only an admin exports; another matter's key meets the wall before the role
    url = f"/v1/collections/{ALPHA}/feedback/export"
    forbidden = client.get(url, params={"format": "kto"}, headers=alpha)
    assert forbidden.status_code == 403 and "'admin'" in forbidden.json()["error"]["message"]
    assert client.get(url, params={"format": "kto"}, headers=matters.headers(BRAVO)).status_code == 404
    assert client.get(url, params={"format": "parquet"}, headers=admin).status_code == 422

    files: dict[str, Path] = {}
    for fmt in ("kto", "dpo", "eval"):
        over_http = client.get(url, params={"format": fmt}, headers=admin)
        assert over_http.status_code == 200, over_http.text
        files[fmt] = tmp_path / f"feedback.{fmt}.{'json' if fmt == 'eval' else 'jsonl'}"
        run = CliRunner().invoke(cli, ["feedback", "export", "--format", fmt, "-c", ALPHA, str(files[fmt])])
        assert run.exit_code == 0, run.output
        assert files[fmt].read_text() == over_http.text  # one export, two doors
    exports = [row for row in matters.parts.audit.export() if row["action"] == "feedback_export"]
    assert [(row["key_name"], row["payload"]["format"]) for row in exports] == [
        ("records-office", "kto"),
        (None, "kto"),
        ("records-office", "dpo"),
        (None, "dpo"),
        ("records-office", "eval"),
        (None, "eval"),
    ]
    exported = "".join(path.read_text() for path in files.values())
    assert unrated not in exported and "Brightwater" not in exported  # walled by matter

    cache = str(tmp_path / "hf-cache")
    kto = datasets.load_dataset("json", data_files=str(files["kto"]), split="train", cache_dir=cache)
    # TRL's unpaired preference type, conversational format: prompt and completion as messages, label a bool
    messages = [{"content": datasets.Value("string"), "role": datasets.Value("string")}]
    assert kto.features == datasets.Features(
        {"prompt": messages, "completion": messages, "label": datasets.Value("bool")}
    )
    assert kto["label"] == [True, False, True, False]  # the thumb up, the thumb down, its correction, the refusal
    assert kto[2]["completion"] == [{"role": "assistant", "content": response.json()["correction"]}]
    prompt = kto[1]["prompt"]
    assert [message["role"] for message in prompt] == ["system", "user"] and REFUSAL_SENTENCE in prompt[0]["content"]
    assert "Solvang-Okafor" in prompt[1]["content"] and "[1] " in prompt[1]["content"]  # the sources, numbered
    assert prompt[1]["content"].rstrip().endswith("Who testified about the ballast pump?")

    dpo = datasets.load_dataset("json", data_files=str(files["dpo"]), split="train", cache_dir=cache)
    assert dpo.features == datasets.Features({"prompt": messages, "chosen": messages, "rejected": messages})
    assert dpo.num_rows == 1
    assert dpo[0]["chosen"][0]["content"] == response.json()["correction"]
    assert dpo[0]["rejected"][0]["content"] == corrected["answer"] and dpo[0]["prompt"] == prompt

    questions = {question.id: question for question in load_questions(files["eval"])}
    assert set(questions) == {f"feedback-{corrected['answer_id']}", f"feedback-{refused['answer_id']}"}
    fixed = questions[f"feedback-{corrected['answer_id']}"]
    assert fixed.answerable and fixed.question == "Who testified about the ballast pump?"
    assert ("14 March 2025",) in fixed.key_facts and ("Ingrid Solvang-Okafor",) in fixed.key_facts
    assert fixed.evidence and all(item.file.endswith((".pdf", ".txt")) for item in fixed.evidence)
    assert not questions[f"feedback-{refused['answer_id']}"].answerable
