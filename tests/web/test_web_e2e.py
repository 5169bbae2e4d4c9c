"""The web UI end to end: Debian's chromium (headless, through Playwright) against a live ``docqa serve``.

Two servers run for the whole module, each in its own data folder:

- the **main** server ingested real court filings plus a generated lease memo with one distinctive
  fact, and has an API key (so every request the UI makes carries it) for the ``filings`` matter
  only; a second matter, ``other``, exists and must stay invisible to that key;
- the **broken** server has no keys and an OpenAI-compatible LLM backend pointing at a closed port,
  so every question fails with the API's 502, which the UI must show, never a blank screen.

Screenshots of the main screens go to ``test-artifacts/`` at the repository root (gitignored).
Every page collects console errors and warnings; a test fails on any that it did not cause on
purpose (a request that is meant to fail logs "Failed to load resource" and is declared first).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Route, expect, sync_playwright

from service.api.schemas import ClaimOut
from service.core.domain import SearchHit
from service.core.writer_lock import writer_lock
from service.engine.answering.claims import answer_support, check_claims, low_support_message
from service.engine.answering.qa import NOT_FOUND_MESSAGE
from tests.support.documents import write_docx, write_pdf
from tests.support.llm import free_port
from tests.support.paths import COURT
from tests.support.web import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Console,
    Screen,
    Server,
    ask,
    assert_no_horizontal_scroll,
    assert_within_the_screen,
    close_viewer,
    docqa,
    docqa_environment,
    open_citation,
    open_screen,
    screenshot,
    show_view,
    sign_in,
    squash,
    start_server,
)

if not CHROMIUM.exists():
    pytest.skip(
        f"Debian's chromium is not installed at {CHROMIUM} (docker/install.sh --dev installs it)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.browser

FILINGS = (
    "courtlistener__recap_test_assets__gov.uscourts.ca1.12-2209.00106475093.0.pdf",
    "doctor__recap_documents__ca1_00117684624.pdf",
    "doctor__recap_documents__ca9_19.pdf",
)
LEASE_TITLE = "Harbor Lease Memorandum"
LEASE_PAGES = [
    "Memorandum on the Harbor Lease between Portland Harbor Holdings LLC and Bluefin Marine Supply Inc.",
    "The tenant Bluefin Marine Supply agreed to pay a monthly rent of 4,750 dollars for the Pier 7 warehouse. "
    "The lease term is seven years, beginning March 1, 2021.",
    "Notices under the lease go to the landlord's office on Commercial Street. The lease is governed by the law of "
    "the State of Maine.",
]
RENT_QUESTION = "What monthly rent did Bluefin Marine Supply agree to pay?"
RENT_QUOTE = "The tenant Bluefin Marine Supply agreed to pay a monthly rent of 4,750 dollars for the Pier 7 warehouse."
COURT_QUESTION = "Why did the court dismiss the appeal?"
UNRELATED_QUESTION = "What is the best recipe for chocolate chip cookies?"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


# ---- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    """(main, broken); the broken one starts first and loads while the main one is prepared."""
    root = tmp_path_factory.mktemp("web-e2e")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in FILINGS:
        (corpus / name).write_bytes((COURT / name).read_bytes())
    write_pdf(corpus / "harbor-lease.pdf", LEASE_PAGES, title=LEASE_TITLE)
    lease_only = root / "lease-only"
    lease_only.mkdir()
    write_pdf(lease_only / "harbor-lease.pdf", LEASE_PAGES, title=LEASE_TITLE)
    other = root / "other"
    other.mkdir()
    write_pdf(other / "estate.pdf", ["The estate of Margaret Hale passes to her niece."], title="Hale Estate")

    broken_environment = docqa_environment(
        root / "broken-data",
        DOCQA_LLM__BACKEND="openai",
        DOCQA_LLM__BASE_URL=f"http://127.0.0.1:{free_port()}/v1",  # nothing listens there
        DOCQA_LLM__MODEL="x",
        DOCQA_LLM__MAX_RETRIES="0",
    )
    broken = start_server(broken_environment, lease_only, "filings", root / "broken.log")
    main: Server | None = None
    try:
        main_environment = docqa_environment(root / "main-data")
        docqa(main_environment, "ingest", str(other), "-c", "other")
        docqa(main_environment, "ingest", str(corpus), "-c", "filings")  # keys name existing collections only
        key = docqa(
            main_environment, "keys", "create", "--name", "e2e", "--collections", "filings", "--role", "editor"
        ).strip()
        reader = docqa(main_environment, "keys", "create", "--name", "e2e-reader", "--collections", "filings")
        main = start_server(main_environment, corpus, "filings", root / "main.log")
        main.key = key.splitlines()[-1]
        main.reader_key = reader.strip().splitlines()[-1]
        main.wait_until_healthy()
        broken.wait_until_healthy()
        yield main, broken
    finally:
        broken.stop()
        if main:
            main.stop()


@pytest.fixture(scope="module")
def main_server(servers: tuple[Server, Server]) -> Server:
    return servers[0]


@pytest.fixture(scope="module")
def broken_server(servers: tuple[Server, Server]) -> Server:
    return servers[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def consoles() -> list[Console]:
    return []


@pytest.fixture(autouse=True)
def no_console_errors(consoles: list[Console]) -> Iterator[None]:
    yield
    problems = [problem for console in consoles for problem in console.problems]
    for console in consoles:
        console.problems.clear()
    assert not problems, "console errors:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def desk(browser: Browser, consoles: list[Console], main_server: Server) -> Screen:
    """A signed-in 1280x800 tab that may write to the clipboard, shared by the tests in order."""
    screen = open_screen(browser, consoles, DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    sign_in(screen, main_server)
    return screen


@pytest.fixture(scope="module")
def phone(browser: Browser, consoles: list[Console], main_server: Server) -> Screen:
    screen = open_screen(browser, consoles, PHONE, is_mobile=True, has_touch=True)
    sign_in(screen, main_server)
    return screen


# ---- sign-in ------------------------------------------------------------------------------------


def test_wrong_key_is_refused_and_a_key_sees_only_its_matter(
    browser: Browser, consoles: list[Console], main_server: Server
) -> None:
    screen = open_screen(browser, consoles, DESKTOP)
    page = screen.page
    screen.console.expect_failure("/v1/whoami", 401)
    page.goto(main_server.url + "/")
    expect(page.locator("#sign-in")).to_be_visible()
    page.fill("#api-key", "dq_not_a_real_key")
    page.click("#sign-in-submit")
    expect(page.locator("#sign-in-error")).to_contain_text("not accepted")
    expect(page.locator("#workspace")).to_be_hidden()
    screenshot(page, "sign-in-error.png")

    sign_in(screen, main_server)
    options = page.locator("#matter-select option")
    expect(options).to_have_count(1)
    expect(options).to_have_attribute("value", "filings")  # never "other"
    expect(page.locator("#key-name")).to_contain_text("e2e")
    page.context.close()


# ---- asking, citations, the source viewer -----------------------------------------------------------


def test_answer_streams_with_citation_links(desk: Screen) -> None:
    page = desk.page
    ask(page, RENT_QUESTION)
    expect(page.locator("#answer-text")).to_contain_text("4,750 dollars")
    cite = page.locator("#answer-text button.cite[data-marker='1']")
    expect(cite).to_have_text("[1]")
    expect(page.locator("#references li#ref-1")).to_contain_text(f"{LEASE_TITLE}, p. 2")
    expect(page.locator("#ask-status")).to_contain_text("Answer ready")
    assert_no_horizontal_scroll(page)
    screenshot(page, "answer.png")


def test_citation_opens_the_cited_page_image_with_the_highlight(desk: Screen) -> None:
    page = desk.page
    open_citation(page, 1)
    show_view(page, "image")
    expect(page.locator("#viewer-title")).to_have_text(LEASE_TITLE)
    expect(page.locator("#viewer-page")).to_have_text("Page 2 of 3")
    image = page.locator("#viewer-img")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('#viewer-img').naturalWidth > 0")
    boxes = page.locator("#viewer-image .highlight-box")
    assert boxes.count() >= 1
    expect(boxes.first).to_be_in_viewport()
    image_box, first = image.bounding_box(), boxes.first.bounding_box()
    assert image_box and first
    # The quote is the page's first line: the box sits in the top part of the page, inside the image.
    assert image_box["x"] <= first["x"] < image_box["x"] + image_box["width"]
    assert image_box["y"] <= first["y"] < image_box["y"] + image_box["height"] / 4
    assert_no_horizontal_scroll(page)
    screenshot(page, "viewer-image.png")

    show_view(page, "text")
    mark = page.locator("#viewer-text mark#viewer-mark")
    expect(mark).to_be_visible()
    expect(mark).to_have_text(RENT_QUOTE)
    expect(mark).to_be_in_viewport()
    screenshot(page, "viewer-text.png")


def test_previous_and_next_page(desk: Screen) -> None:
    page = desk.page
    page.click("#viewer-next")
    page.wait_for_selector("#viewer:not([aria-busy])")
    expect(page.locator("#viewer-page")).to_have_text("Page 3 of 3")
    expect(page.locator("#viewer-text")).to_contain_text("State of Maine")
    expect(page.locator("#viewer-next")).to_be_disabled()
    expect(page.locator("#viewer-mark")).to_have_count(0)
    for expected in ("Page 2 of 3", "Page 1 of 3"):
        page.click("#viewer-prev")
        page.wait_for_selector("#viewer:not([aria-busy])")
        expect(page.locator("#viewer-page")).to_have_text(expected)
    expect(page.locator("#viewer-prev")).to_be_disabled()
    page.click("#viewer-next")
    page.wait_for_selector("#viewer:not([aria-busy])")
    expect(page.locator("#viewer-mark")).to_have_text(RENT_QUOTE)  # back on the cited page: highlighted again
    close_viewer(page)


def test_copy_with_citations(desk: Screen) -> None:
    page = desk.page
    page.click("#copy-button")
    expect(page.locator("#copy-status")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"“{RENT_QUOTE}” [1]")
    assert f'[1] {LEASE_TITLE}, p. 2: "{RENT_QUOTE}"' in copied


def test_court_filing_citations_open_their_pages(desk: Screen, main_server: Server) -> None:
    page = desk.page
    expected = main_server.api("POST", "/v1/ask", json={"question": COURT_QUESTION, "collection": "filings"}).json()
    assert expected["citations"], expected
    ask(page, COURT_QUESTION)
    for citation in expected["citations"]:
        marker = citation["marker"]
        expect(page.locator(f"#references li#ref-{marker}")).to_contain_text(f"p. {citation['page']}")
        open_citation(page, marker)
        expect(page.locator("#viewer-page")).to_contain_text(f"Page {citation['page']} of ")
        show_view(page, "image")
        expect(page.locator("#viewer-image .highlight-box").first).to_be_in_viewport()
        if marker == 1:
            screenshot(page, "viewer-court.png")
        show_view(page, "text")
        mark = page.locator("#viewer-mark")
        expect(mark).to_be_in_viewport()
        assert squash(mark.inner_text()) == squash(citation["quote"])
        close_viewer(page)
    screenshot(page, "answer-court.png")


def test_concurrent_page_views_do_not_crash_the_server(main_server: Server) -> None:
    """The viewer asks for a page image and its highlight boxes at once, and readers page quickly.

    PDFium crashes the process when two threads call it at once; the server must serialise them.
    """
    documents = main_server.api("GET", "/v1/collections/filings/documents").json()["documents"]
    longest = max(documents, key=lambda document: document["page_count"])
    pages = range(1, longest["page_count"] + 1)
    paths = [f"/v1/documents/{longest['id']}/pages/{n}/image?width=400" for n in pages]
    paths += [f"/v1/documents/{longest['id']}/pages/{n}/highlight?start=0&end=200" for n in pages]
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda path: main_server.api("GET", path).status_code, paths))
    assert statuses == [200] * len(paths)
    assert main_server.process.poll() is None, main_server.log()


def test_unrelated_question_is_refused_with_closest_passages(desk: Screen) -> None:
    page = desk.page
    ask(page, UNRELATED_QUESTION)
    expect(page.locator("#refusal")).to_be_visible()
    expect(page.locator("#refusal-message")).to_contain_text("Not found in these documents")
    expect(page.locator("#refusal-message")).to_contain_text("closest passages are below; they are not an answer")
    assert NOT_FOUND_MESSAGE.startswith("Not found in these documents")
    expect(page.locator("#answer-text")).to_be_hidden()
    expect(page.locator("#ask-status")).to_have_text("Not found in these documents.")
    page.click("#copy-button")  # what is pasted says it is a refusal, and offers the closest passages as such
    expect(page.locator("#copy-status")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    first = copied.splitlines()[0]  # once "Not found", then why and what was searched
    assert first.startswith("Not found in these documents. No passage is close enough to the question (searched ")
    assert first.count("Not found in these documents") == 1 and "Closest passages (not an answer):" in copied
    closest = page.locator("#closest-list button.closest-open")
    assert closest.count() >= 1
    assert_no_horizontal_scroll(page)
    screenshot(page, "refusal.png")
    page_number = re.search(r"p\. (\d+)", closest.first.inner_text())
    assert page_number, closest.first.inner_text()
    closest.first.click()
    page.wait_for_selector("#viewer:not([aria-busy])")
    expect(page.locator("#viewer-page")).to_contain_text(f"Page {page_number.group(1)} of ")
    close_viewer(page)


def test_an_unsupported_sentence_is_marked_with_its_reason(desk: Screen, main_server: Server) -> None:
    """The main server answers extractively (verbatim quotes: no claim check), so a generated answer is played
    back at the HTTP layer: the server's own answer with an invented sentence added, checked by the real claim
    check against the passages cited (tests/engine/answering/test_claims_llm.py puts a real model behind the API)."""
    page = desk.page
    real = main_server.api("POST", "/v1/ask", json={"question": RENT_QUESTION, "collection": "filings"}).json()
    sources = [
        SearchHit(0, c["document_id"], "filings", c["source"], c["title"], c["page"], c["page"], 0, 0, 1.0, c["quote"])
        for c in sorted(real["citations"], key=lambda citation: citation["marker"])
    ]
    invented = "The landlord may raise the rent to 9,500 dollars after two years [1]."
    answer = f"{real['answer']} {invented}"
    checks = check_claims(answer, sources)
    claims = [ClaimOut.from_claim(claim).model_dump() for claim in checks]
    assert [claim["supported"] for claim in claims][-1:] == [False] and all(c["supported"] for c in claims[:-1])
    assert answer_support(checks) == "low_support"  # as QaEngine would state it
    done = {**real, "answer": answer, "claims": claims, "state": "low_support", "message": low_support_message(checks)}
    events = [
        ("delta", {"text": answer}),
        ("citations", {"citations": real["citations"]}),
        ("claims", {"claims": claims}),
        ("done", done),
    ]
    body = "".join(f"event: {kind}\ndata: {json.dumps(data)}\n\n" for kind, data in events)
    page.route("**/v1/ask", lambda route: route.fulfill(body=body, headers={"Content-Type": "text/event-stream"}))
    try:
        ask(page, RENT_QUESTION)
    finally:
        page.unroute("**/v1/ask")
    marked = page.locator("#answer-text .claim-unsupported")
    expect(marked).to_have_count(1)
    expect(marked).to_have_text(invented)
    reason = page.locator("#answer-text .claim-reason")
    expect(reason).to_have_text("Not supported by the cited passages: 9,500 dollars is not in source [1]")
    expect(marked.locator("button.cite[data-marker='1']")).to_be_visible()  # its citation still opens
    expect(page.locator("#answer-text")).to_contain_text("4,750 dollars")  # the true sentence stays unmarked
    assert "4,750" not in marked.inner_text()
    expect(page.locator("#answer-warning")).to_contain_text(f"1 of {len(claims)} sentences is not supported")
    assert_no_horizontal_scroll(page)
    screenshot(page, "answer-unsupported.png")
    page.click("#copy-button")
    expect(page.locator("#copy-status")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith(f'Not supported by the cited passages:\n- "{invented}": 9,500 dollars is not in source [1]')


def test_keyboard_alone_asks_and_opens_a_citation(desk: Screen) -> None:
    page = desk.page
    page.reload()
    expect(page.locator("#question")).to_be_visible()

    def tab_to(selector: str, presses: int = 25) -> None:
        for _ in range(presses):
            page.keyboard.press("Tab")
            if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#question")
    page.keyboard.type(RENT_QUESTION)
    page.keyboard.press("Enter")
    expect(page.locator("#ask-status")).to_contain_text("Answer ready")
    tab_to("#answer-text button.cite")
    page.keyboard.press("Enter")
    page.wait_for_selector("#viewer:not([aria-busy])")
    expect(page.locator("#viewer-page")).to_have_text("Page 2 of 3")
    assert page.evaluate("document.activeElement.id") == "viewer-title"
    tab_to("#viewer-next")
    page.keyboard.press("Enter")
    page.wait_for_selector("#viewer:not([aria-busy])")
    expect(page.locator("#viewer-page")).to_have_text("Page 3 of 3")
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.marker") == "1"  # focus returns to the citation


def test_a_follow_up_is_asked_by_keyboard_in_the_conversation_and_a_new_one_starts_afresh(
    desk: Screen, main_server: Server
) -> None:
    page = desk.page
    ask(page, RENT_QUESTION)
    expect(page.locator("#answer-text")).to_contain_text("4,750 dollars")
    expect(page.locator("#new-conversation")).to_be_visible()
    expect(page.locator("#question")).to_have_value("")  # ready for the follow-up
    page.locator("#question").type("How long is the lease term?")
    with page.expect_response("**/v1/ask") as response:
        page.keyboard.press("Enter")
    sent = response.value.request.post_data_json
    assert sent is not None and sent["thread_id"]
    expect(page.locator("#answer-area")).not_to_have_attribute("aria-busy", "true")
    # the first turn stays above, the follow-up's answer below it, with the question it was answered as
    turns = page.locator("#thread-turns li")
    expect(turns).to_have_count(1)
    expect(turns.first).to_contain_text(RENT_QUESTION)
    expect(turns.first).to_contain_text("4,750 dollars")
    expect(page.locator("#answer-question")).to_have_text("How long is the lease term?")
    expect(page.locator("#answer-rewritten")).to_contain_text("Answered as: How long is the lease term (in ")
    expect(page.locator("#answer-text")).to_contain_text("seven years")
    box = page.locator("#thread").bounding_box()
    answer = page.locator("#answer-area").bounding_box()
    assert box and answer and box["y"] + box["height"] <= answer["y"]  # earlier turns above the new answer
    assert_no_horizontal_scroll(page)
    screenshot(page, "thread.png", full_page=True)
    thread_id = sent["thread_id"]
    saved = main_server.api("GET", f"/v1/threads/{thread_id}").json()
    assert [turn["question"] for turn in saved["turns"]] == [RENT_QUESTION, "How long is the lease term?"]

    page.click("#new-conversation")
    expect(page.locator("#thread")).to_be_hidden()
    expect(page.locator("#answer-area")).to_be_hidden()
    expect(page.locator("#new-conversation")).to_be_hidden()
    with page.expect_response("**/v1/ask") as fresh:
        ask(page, RENT_QUESTION, follow_up=True)  # asked as is: the conversation is new
    fresh_body = fresh.value.request.post_data_json
    assert fresh_body is not None and "thread_id" not in fresh_body


# ---- documents ----------------------------------------------------------------------------------


def test_upload_lists_each_file_with_its_outcome_then_delete_with_confirmation(
    desk: Screen, main_server: Server, tmp_path: Path
) -> None:
    page = desk.page
    page.click("#tab-documents")
    rows = page.locator("#documents-list li.document-row")
    expect(rows).to_have_count(len(FILINGS) + 1)
    sublease = write_pdf(
        tmp_path / "pier7-sublease.pdf",
        [
            "Bluefin Marine Supply sublets the north bay of the Pier 7 warehouse to Casco Bay Canvas for 1,200 dollars "
            "a month, with the landlord's written consent dated April 2, 2022."
        ],
        title="Pier 7 Sublease",
    )
    scan = write_pdf(tmp_path / "signed-exhibit.pdf", [None], title="Signed Exhibit")
    corrupt = tmp_path / "broken-exhibit.pdf"
    corrupt.write_bytes(b"%PDF-1.7\nthis is not really a PDF\n")
    page.set_input_files("#file-input", [sublease, scan, corrupt])
    expect(page.locator("#upload-status")).to_contain_text("Processing finished")
    results = page.locator("#upload-results li.upload-result")
    expect(results.filter(has_text="pier7-sublease.pdf")).to_have_attribute("data-outcome", "new")
    expect(results.filter(has_text="signed-exhibit.pdf")).to_have_attribute("data-outcome", "new")
    failed = results.filter(has_text="broken-exhibit.pdf")
    expect(failed).to_have_attribute("data-outcome", "failed")
    assert len(failed.locator(".upload-error").inner_text()) > 10, "a failed file must say why"
    uploaded = rows.filter(has_text="Pier 7 Sublease")
    expect(uploaded).to_have_attribute("data-status", "ingested")
    expect(uploaded).to_contain_text("Ingested")
    expect(rows.filter(has_text="Signed Exhibit")).to_contain_text("Needs OCR")
    expect(rows.filter(has_text="Signed Exhibit")).to_contain_text("cannot be searched until it is OCR'd")
    expect(rows.filter(has_text="broken-exhibit.pdf")).to_have_attribute("data-status", "failed")
    # the broken exhibit is listed with its reason, but it is no document of the matter
    expect(page.locator("#matter-select option:checked")).to_have_text(f"filings ({rows.count() - 1} documents)")
    assert_no_horizontal_scroll(page)
    screenshot(page, "documents.png", full_page=True)

    uploaded.locator("button.delete-doc").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Pier 7 Sublease")
    screenshot(page, "delete-confirm.png")
    page.click("#confirm-cancel")
    expect(dialog).to_be_hidden()
    expect(uploaded).to_have_count(1)
    uploaded.locator("button.delete-doc").click()
    page.click("#confirm-delete")
    expect(page.locator("#documents-status")).to_contain_text("Deleted")
    expect(uploaded).to_have_count(0)
    listed = main_server.api("GET", "/v1/collections/filings/documents").json()["documents"]
    assert "Pier 7 Sublease" not in {document["title"] for document in listed}


def test_dropped_file_is_ingested_and_its_citation_opens_the_text(desk: Screen, main_server: Server) -> None:
    page = desk.page
    page.click("#tab-documents")
    page.locator("#drop-zone").evaluate(
        """(zone) => {
            const memo = "Repairs memo.\\n\\nThe Pier 7 roof was repaired by Gulf of Maine Roofing on May 3, 2023, "
                + "at a cost of 18,400 dollars, paid by the landlord.\\n";
            const data = new DataTransfer();
            data.items.add(new File([memo], "roof-memo.txt", { type: "text/plain" }));
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
        }"""
    )
    expect(page.locator("#upload-status")).to_contain_text("Processing finished")
    expect(page.locator("#upload-results li.upload-result")).to_have_attribute("data-outcome", "new")
    row = page.locator("#documents-list li.document-row").filter(has_text="roof-memo")
    expect(row).to_have_attribute("data-status", "ingested")

    ask(page, "Who repaired the Pier 7 roof?")
    expect(page.locator("#references li#ref-1")).to_contain_text("roof-memo")
    open_citation(page, 1)
    expect(page.locator("#viewer-toggle")).to_be_hidden()  # not a PDF: no page image, only the text
    expect(page.locator("#viewer-mark")).to_contain_text("Gulf of Maine Roofing")
    close_viewer(page)
    document_id = row.get_attribute("data-document-id")
    assert main_server.api("DELETE", f"/v1/documents/{document_id}").status_code == 204


def test_cancel_stops_processing_and_adds_nothing(desk: Screen, main_server: Server, tmp_path: Path) -> None:
    page = desk.page
    page.click("#tab-documents")
    memo = tmp_path / "tide-table-memo.txt"
    memo.write_text("The tide table for Portland harbor was corrected on June 9.\n")
    assert main_server.data_dir is not None
    cancel = page.locator("#cancel-upload")
    # another writer holds the matter (as a long 'docqa ingest' would): the job waits, and can be cancelled
    with writer_lock(main_server.data_dir / "index", "filings"):
        page.set_input_files("#file-input", memo)
        expect(page.locator("#upload-status")).to_contain_text("Processing")
        expect(cancel).to_be_visible()
        cancel.click()
        expect(page.locator("#upload-status")).to_contain_text("Processing stopped before the end")
        result = page.locator("#upload-results li.upload-result")
        expect(result).to_have_attribute("data-outcome", "cancelled")
        expect(result).to_contain_text("Not processed (cancelled)")
        expect(cancel).to_be_hidden()
    listed = main_server.api("GET", "/v1/collections/filings/documents").json()["documents"]
    assert "tide-table-memo.txt" not in {document["source"] for document in listed}
    expect(page.locator("#documents-list li.document-row").filter(has_text="tide-table-memo")).to_have_count(0)


def test_unsupported_upload_shows_the_reason(desk: Screen, tmp_path: Path) -> None:
    page = desk.page
    desk.console.expect_failure("/v1/collections/filings/documents", 422)
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00")
    page.set_input_files("#file-input", program)
    expect(page.locator("#error-banner")).to_be_visible()
    expect(page.locator("#error-lead")).to_have_text("Nothing was uploaded.")
    expect(page.locator("#error-message")).to_contain_text("unsupported file type")
    page.click("#error-dismiss")
    expect(page.locator("#error-banner")).to_be_hidden()


def test_an_interrupted_upload_says_which_files_to_upload_again(desk: Screen, tmp_path: Path) -> None:
    """The server process stopping mid-job cannot be made to happen on cue here, so the upload and its
    job status are answered at the HTTP layer (tests/engine/documents/test_jobs.py proves the server's side)."""
    page = desk.page
    job_id = "0123456789abcdef"
    job = {
        "job_id": job_id,
        "collection": "filings",
        "status": "interrupted",
        "files": [
            {"name": "ferry-note.txt", "outcome": "new", "document_id": "fedcba9876543210", "error": None},
            {"name": "ferry-memo.txt", "outcome": "pending", "document_id": None, "error": None},
        ],
    }

    def accept(route: Route) -> None:
        if route.request.method == "POST":
            route.fulfill(status=202, json={"job_id": job_id})
        else:
            route.continue_()

    page.route("**/v1/collections/filings/documents", accept)
    page.route(f"**/v1/jobs/{job_id}", lambda route: route.fulfill(json=job))
    try:
        files = [tmp_path / "ferry-note.txt", tmp_path / "ferry-memo.txt"]
        for file in files:
            file.write_text("The ferry to Peaks Island leaves at 6 a.m.\n")
        page.set_input_files("#file-input", files)
        expect(page.locator("#upload-status")).to_contain_text("Processing stopped before the end")
        results = page.locator("#upload-results li.upload-result")
        expect(results.filter(has_text="ferry-note.txt")).to_have_attribute("data-outcome", "new")
        memo = results.filter(has_text="ferry-memo.txt")
        expect(memo).to_have_attribute("data-outcome", "interrupted")
        expect(memo).to_contain_text("upload again")
    finally:
        page.unroute("**/v1/collections/filings/documents")
        page.unroute(f"**/v1/jobs/{job_id}")


# ---- failures from the API ------------------------------------------------------------------------


def test_llm_failure_is_shown_not_a_blank_screen(
    browser: Browser, consoles: list[Console], broken_server: Server
) -> None:
    screen = open_screen(browser, consoles, DESKTOP)
    page = screen.page
    screen.console.expect_failure("/v1/ask", 502)
    page.goto(broken_server.url + "/")
    expect(page.locator("#question")).to_be_visible()  # no keys on this server: straight in
    expect(page.locator("#sign-in")).to_be_hidden()
    page.fill("#question", RENT_QUESTION)
    page.click("#ask-button")
    banner = page.locator("#error-banner")
    expect(banner).to_be_visible()
    expect(page.locator("#error-lead")).to_contain_text("language model behind docqa is not available")
    expect(page.locator("#error-message")).to_contain_text("cannot reach the LLM server")
    expect(banner).to_contain_text("llm_unavailable")
    expect(page.locator("#ask-status")).to_contain_text("could not be answered")
    expect(page.locator("#question")).to_have_value(RENT_QUESTION)  # the question is kept for another try
    screenshot(page, "error.png")
    page.context.close()


# ---- layout -------------------------------------------------------------------------------------


def test_phone_width_has_no_horizontal_scrolling(
    phone: Screen, main_server: Server, tmp_path: Path, browser: Browser, consoles: list[Console]
) -> None:
    page = phone.page
    # the documents that stretch a narrow list: a DOCX (a 71-character media type), a title and a failed
    # file whose names have no place to break
    long_name = "Exhibit_14_Declaration_of_the_Custodian_of_Records_Regarding_Wire_Transfers_2019-2021"
    write_docx(tmp_path / f"{long_name}.docx", ["Declaration", RENT_QUOTE], title=long_name)
    files = [
        ("files", (f"{long_name}.docx", (tmp_path / f"{long_name}.docx").read_bytes())),
        ("files", (f"{long_name}_broken.pdf", b"%PDF-1.7 truncated before its first object")),
    ]
    created = main_server.api("POST", "/v1/collections/filings/documents", files=files)
    assert created.status_code == 202, created.text
    deadline = time.monotonic() + 60
    while main_server.api("GET", f"/v1/jobs/{created.json()['job_id']}").json()["status"] != "done":
        assert time.monotonic() < deadline, "the upload did not finish"
        time.sleep(0.2)
    ask(page, COURT_QUESTION)
    expect(page.locator("#answer-text button.cite").first).to_be_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "phone-answer.png", full_page=True)
    open_citation(page, 1)
    expect(page.locator("#viewer-title")).to_be_in_viewport()
    expect(page.locator("#viewer-page")).to_be_in_viewport()
    expect(page.locator("#viewer-mark")).to_be_in_viewport()  # phones open on the page text: readable
    assert_no_horizontal_scroll(page)
    screenshot(page, "phone-viewer-text.png")
    show_view(page, "image")
    expect(page.locator("#viewer-image .highlight-box").first).to_be_in_viewport()
    assert_no_horizontal_scroll(page)
    screenshot(page, "phone-viewer-image.png")
    close_viewer(page)
    page.click("#tab-documents")
    expect(page.locator("#documents-list li.document-row").first).to_be_visible()
    expect(
        page.locator("#documents-list li.document-row[data-status='failed']").filter(has_text="_broken.pdf")
    ).to_have_count(1)
    assert page.locator("#documents-list li.document-row").count() >= 6  # long RECAP file names among them
    assert_no_horizontal_scroll(page)
    assert_within_the_screen(page, "#panel-documents")
    screenshot(page, "phone-documents.png", full_page=True)
    # a desktop browser window as narrow as the phone (no mobile zoom to hide an overflow)
    narrow = open_screen(browser, consoles, PHONE)
    sign_in(narrow, main_server)
    narrow.page.click("#tab-documents")
    expect(narrow.page.locator("li.document-row[data-status='failed']").filter(has_text="_broken.pdf")).to_have_count(1)
    assert_no_horizontal_scroll(narrow.page)
    assert_within_the_screen(narrow.page, "#panel-documents")
    assert_within_the_screen(narrow.page, ".topbar")
    screenshot(narrow.page, "narrow-documents.png", full_page=True)
    narrow.page.context.close()


def test_the_api_pages_work_offline_and_call_no_other_host(
    browser: Browser, consoles: list[Console], main_server: Server
) -> None:
    """/docs (Swagger UI) renders the API from files docqa ships: every request to another host is cut off
    and recorded, and there must be none."""
    screen = open_screen(browser, consoles, DESKTOP)
    page = screen.page
    outside: list[str] = []

    def only_this_server(route: Route) -> None:
        if route.request.url.startswith(main_server.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(main_server.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("docqa")
    expect(page.locator(".opblock-summary-path").filter(has_text="/v1/search")).to_have_count(1)
    assert page.locator(".opblock").count() >= 15
    page.locator(".opblock-summary-path").filter(has_text="/v1/search").click()  # an operation opens
    expect(page.locator(".opblock-body").first).to_be_visible()
    screenshot(page, "api-docs.png")
    assert outside == []


def test_a_reader_key_is_offered_no_upload_and_no_delete(
    browser: Browser, consoles: list[Console], main_server: Server
) -> None:
    """The web UI follows the key's role: a reader reads and asks, but sees no drop zone and no Delete."""
    screen = open_screen(browser, consoles, DESKTOP)
    assert main_server.reader_key
    sign_in(screen, main_server, main_server.reader_key)
    page = screen.page
    expect(page.locator("#key-name")).to_have_text("Signed in as e2e-reader (reader)")
    page.click("#tab-documents")
    expect(page.locator("#documents-list li.document-row").first).to_be_visible()
    expect(page.locator("#drop-zone")).to_be_hidden()
    expect(page.locator("button.delete-doc").first).to_be_hidden()
    expect(page.locator("button.document-open").first).to_be_visible()  # reading stays
    screenshot(page, "reader-documents.png")
    document_id = page.locator("#documents-list li.document-row").first.get_attribute("data-document-id")
    refused = httpx.delete(
        f"{main_server.url}/v1/documents/{document_id}",
        headers={"Authorization": f"Bearer {main_server.reader_key}"},
        timeout=30,
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"  # the server says no too
    page.context.close()


# ---- search the record --------------------------------------------------------------------------


def test_search_the_record_lists_every_hit_and_opens_its_span(desk: Screen, main_server: Server) -> None:
    page = desk.page
    close_viewer(page)
    page.click("#tab-record")
    expect(page.locator("#record-matter")).to_have_text("filings")
    over_http = main_server.api("POST", "/v1/record/search", json={"query": "lease", "collection": "filings"}).json()
    assert over_http["total"] >= 4
    page.fill("#record-query", "lease")
    page.click("#record-button")
    total, documents = over_http["total"], len(over_http["documents"])
    expect(page.locator("#record-status")).to_have_text(
        f"{total} hit{'s' if total != 1 else ''} in {documents} document{'s' if documents != 1 else ''}"
    )
    expect(page.locator("#record-hits li.record-hit")).to_have_count(total)
    assert [squash(text) for text in page.locator("#record-hits mark").all_inner_texts()] == [
        hit["text"] for hit in over_http["hits"]
    ]

    # Other tests of this module upload into the same matter: the counts are the server's, the lease's hit is ours.
    near = main_server.api("POST", "/v1/record/search", json={"query": "bluefin w/10 rent", "collection": "filings"})
    total, documents = near.json()["total"], len(near.json()["documents"])
    assert total >= 1
    page.fill("#record-query", "bluefin w/10 rent")
    page.click("#record-button")
    expect(page.locator("#record-status")).to_have_text(
        f"{total} hit{'s' if total != 1 else ''} in {documents} document{'s' if documents != 1 else ''}"
    )
    hit = page.locator("#record-hits li.record-hit").filter(has_text=f"{LEASE_TITLE}, p. 2").first
    expect(hit.locator("mark")).to_have_text("Bluefin Marine Supply agreed to pay a monthly rent")
    screenshot(page, "record-search.png", full_page=True)
    hit.locator("button").click()
    show_view(page, "text")
    expect(page.locator("#viewer-page")).to_have_text("Page 2 of 3")
    expect(page.locator("#viewer-text mark#viewer-mark")).to_have_text(
        "Bluefin Marine Supply agreed to pay a monthly rent"
    )
    screenshot(page, "record-viewer.png")
    close_viewer(page)

    desk.console.expect_failure("/v1/record/search", 422)
    page.fill("#record-query", "rent w/ lease")  # a bad query: the reason, under the field
    page.click("#record-button")
    expect(page.locator("#record-error")).to_contain_text("position 5")
    expect(page.locator("#error-banner")).to_be_hidden()


def test_the_term_report_and_its_csv(desk: Screen, main_server: Server) -> None:
    page = desk.page
    terms = ["lease", "bluefin w/10 rent", "appeal*", "nonexistentword"]
    page.fill("#terms-input", "\n".join(terms))
    page.click("#terms-button")
    rows = page.locator("#terms-table tbody tr")
    expect(rows).to_have_count(4)
    report = main_server.api("POST", "/v1/record/terms", json={"terms": terms, "collection": "filings"}).json()
    for row, term in zip(rows.all(), report["terms"], strict=True):
        expect(row).to_have_text(
            re.compile(rf"{re.escape(term['query'])}\s*{term['documents_with_hits']}\s*{term['total_hits']:,}\s*")
        )
    screenshot(page, "record-terms.png", full_page=True)
    with page.expect_download() as download:
        page.click("#terms-export")
    saved = download.value
    assert saved.suggested_filename == "filings-term-report.csv"
    exported = Path(saved.path()).read_text()
    assert exported.splitlines()[0].startswith("query,documents_with_hits,total_hits,unique_documents")
    assert [line.split(",")[0] for line in exported.splitlines()[1:]] == terms


def test_the_viewer_underlines_a_pages_citations_with_their_authority(desk: Screen, main_server: Server) -> None:
    page = desk.page
    close_viewer(page)
    page.click("#tab-record")
    found = main_server.api("POST", "/v1/record/search", json={"query": "1291", "collection": "filings"}).json()
    hit = next(hit for hit in found["hits"] if hit["source"].endswith("ca1_00117684624.pdf"))
    path = f"/v1/documents/{hit['document_id']}/pages/{hit['page']}/citations"
    cited = main_server.api("GET", path).json()["citations"]
    assert "28 U.S.C. \u00a7 1291" in [citation["authority"] for citation in cited]
    page.fill("#record-query", "1291")
    page.click("#record-button")
    page.locator("#record-hits li.record-hit").filter(has_text=f"p. {hit['page']}").first.locator("button").click()
    page.wait_for_selector("#viewer:not([aria-busy])")
    show_view(page, "text")
    expect(page.locator("#viewer-page")).to_contain_text(f"Page {hit['page']} of ")
    spans = page.locator("#viewer-text span.authority")
    expect(spans.first).to_be_visible()
    # Every citation of the page is underlined, its text exactly the span's (one crossing the highlight is two
    # pieces), with its authority in the tooltip.
    shown = spans.evaluate_all("(spans) => spans.map((s) => [s.dataset.authority, s.title, s.textContent])")
    by_authority: dict[str, str] = {}
    for authority, _title, piece in shown:
        by_authority[authority] = by_authority.get(authority, "") + piece
    assert {c["authority"] or "" for c in cited} == {authority for authority, _title, _piece in shown}
    assert squash(by_authority["28 U.S.C. \u00a7 1291"]).startswith("28 U.S.C. \u00a7 1291")
    assert "28 U.S.C. \u00a7 1291" in [
        title for authority, title, _piece in shown if authority == "28 U.S.C. \u00a7 1291"
    ]
    expect(page.locator("#viewer-text mark#viewer-mark")).to_have_text("1291")
    page.locator("#viewer-text span.authority").first.scroll_into_view_if_needed()
    screenshot(page, "viewer-citations.png")
    close_viewer(page)


def test_entity_pages_list_counts_and_open_a_mention_at_its_span(desk: Screen, main_server: Server) -> None:
    page = desk.page
    close_viewer(page)
    page.click("#tab-entities")
    expect(page.locator("#entities-matter")).to_have_text("filings")
    listed = main_server.api("GET", "/v1/entities?collection=filings").json()["entities"]
    rows = page.locator("#entities-table tbody tr")
    expect(rows).to_have_count(len(listed))
    top = listed[0]  # most mentioned first, as the server gives them
    expect(rows.first).to_have_text(
        re.compile(rf"{re.escape(top['name'])}\s*\w+\s*{top['documents']}\s*{top['mentions']:,}")
    )
    people = main_server.api("GET", "/v1/entities?collection=filings&type=person").json()["entities"]
    page.select_option("#entities-type", "person")
    expect(rows).to_have_count(len(people))
    expect(rows.first.locator("td").first).to_have_text("Person")
    screenshot(page, "entities-list.png", full_page=True)

    # the most mentioned person's page: every mention (one page of them), each opening the viewer at its span
    person = people[0]
    page.fill("#entities-filter", person["name"])
    expect(rows.filter(has_text=person["name"]).first).to_be_visible()
    rows.filter(has_text=person["name"]).first.locator("button").click()
    expect(page.locator("#entity-name")).to_have_text(person["name"])
    expect(page.locator("#entity-name")).to_be_focused()
    documents = f"{person['documents']} document{'s' if person['documents'] != 1 else ''}"
    expect(page.locator("#entity-facts")).to_contain_text(f"{person['mentions']} mentions in {documents}")
    mentions = main_server.api("GET", f"/v1/entities/{person['id']}/mentions?limit=100").json()["mentions"]
    items = page.locator("#entity-mentions li")
    expect(items).to_have_count(len(mentions))
    one_line = [index for index, mention in enumerate(mentions) if "\n" not in mention["text"]]
    chosen = max(one_line, key=lambda index: mentions[index]["page"])  # a later page: the viewer must turn to it
    mention = mentions[chosen]
    expect(items.nth(chosen).locator("mark")).to_have_text(mention["text"])
    expect(items.nth(chosen).locator("button")).to_have_text(f"{mention['title']}, p. {mention['page']}")
    screenshot(page, "entity-page.png", full_page=True)
    items.nth(chosen).locator("button").click()
    show_view(page, "text")
    expect(page.locator("#viewer-page")).to_have_text(re.compile(rf"^Page {mention['page']} of \d+$"))
    expect(page.locator("#viewer-text mark#viewer-mark")).to_have_text(mention["text"])
    screenshot(page, "entity-viewer.png")
    close_viewer(page)
    page.click("#entity-back")
    expect(page.locator("#entities-list-view")).to_be_visible()
    expect(rows.first.locator("button")).to_be_focused()  # back where the reader left the list


def test_a_filing_summary_shows_in_the_list_and_atop_the_viewer_and_opens_its_page(desk: Screen) -> None:
    page = desk.page
    close_viewer(page)
    page.click("#tab-documents")
    opinion = page.locator("#documents-list li.document-row", has_text="Calvary Chapel of Bangor")
    expect(opinion.locator(".document-summary")).to_contain_text("dismissed without prejudice")
    assert_no_horizontal_scroll(page)
    screenshot(page, "documents-summaries.png")
    opinion.locator("button.document-open").click()
    summary = page.locator("#viewer-summary")
    expect(summary).to_be_visible()
    expect(summary.locator('.summary-line[data-field="docket"]')).to_contain_text("20-1507")
    expect(summary.locator('.summary-line[data-field="court"]')).to_contain_text("First Circuit")
    disposition = summary.locator('.summary-line[data-field="disposition"]')
    expect(disposition).to_contain_text("lack of appellate jurisdiction")
    screenshot(page, "viewer-summary.png")
    disposition.locator("button.summary-cite").click()
    expect(page.locator("#viewer-page")).to_contain_text("Page 16 of ")
    expect(summary).to_be_visible()  # paging through the same document keeps its summary
    show_view(page, "text")
    mark = page.locator("#viewer-mark")
    expect(mark).to_be_in_viewport()
    assert "dismissed without prejudice for lack of appellate jurisdiction" in squash(mark.inner_text())
    assert_no_horizontal_scroll(page)
    close_viewer(page)


def test_the_chronology_lists_dated_events_in_order_and_opens_their_sentences(desk: Screen) -> None:
    page = desk.page
    close_viewer(page)
    page.click("#tab-documents")
    page.click("#chronology-show")
    expect(page.locator("#chronology-status")).to_contain_text("dated events")
    events = page.locator("#chronology-list li.chronology-event")
    dates = events.locator("time").all_inner_texts()
    assert len(dates) >= 4 and dates == sorted(dates)
    consolidated = events.filter(has_text="These three appeals are consolidated")
    expect(consolidated.first).to_have_attribute("data-kind", "decided")  # "Entered: January 3, 2013"
    extended = events.filter(has_text="extended until March 8, 2013")
    expect(extended.first).to_have_attribute("data-kind", "due")
    expect(page.locator("#chronology-csv")).to_be_visible()
    assert_no_horizontal_scroll(page)
    extended.first.scroll_into_view_if_needed()
    screenshot(page, "chronology.png")
    extended.first.locator("button.chronology-open").click()
    expect(page.locator("#viewer-page")).to_contain_text("Page 2 of ")
    show_view(page, "text")
    assert "extended until March 8, 2013" in squash(page.locator("#viewer-mark").inner_text())
    close_viewer(page)
