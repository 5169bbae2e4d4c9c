"""Feedback and saved conversations in the web UI: Debian's chromium (headless, through Playwright) against a live
``docqa serve`` over one lease memorandum, with an editor key.

A thumb down with a reason, a comment and a corrected answer reaches the server under the answer it rates, and so
does a thumb up on an earlier turn of the conversation; the caller's conversations are listed, renamed, reopened
(a follow-up asked by keyboard continues the reopened one) and deleted. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Response, expect, sync_playwright

from tests.support.documents import write_pdf
from tests.support.web import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Console,
    Screen,
    Server,
    ask,
    assert_no_horizontal_scroll,
    docqa,
    docqa_environment,
    open_screen,
    screenshot,
    sign_in,
    skip_without_chromium,
    start_server,
)

skip_without_chromium()
pytestmark = pytest.mark.browser

LEASE_PAGES = [
    "Equipment Lease between Northwind Marine Leasing LLC and Casco Bay Ferries Inc.",
    "The lessee Casco Bay Ferries agreed to pay a monthly rent of 3,180 dollars for two diesel generators. "
    "The lease term is five years, beginning June 15, 2022.",
    "Notices under the lease go to the lessor's office on Fore Street. The lease is governed by the law of "
    "the State of Vermont.",
]
RENT_QUESTION = "What monthly rent did Casco Bay Ferries agree to pay?"
TERM_QUESTION = "How long is the lease term?"
LAW_QUESTION = "Which state's law governs the Equipment Lease?"
CORRECTION = "Casco Bay Ferries agreed to pay 3,180 dollars a month for two diesel generators."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("web-feedback")
    corpus = root / "corpus"
    corpus.mkdir()
    write_pdf(corpus / "equipment-lease.pdf", LEASE_PAGES, title="Equipment Lease")
    environment = docqa_environment(root / "data")
    docqa(environment, "ingest", str(corpus), "-c", "lease")  # keys name existing collections only
    key = docqa(environment, "keys", "create", "--name", "reviewer", "--collections", "lease", "--role", "editor")
    served = start_server(environment, corpus, "lease", root / "server.log")
    served.key = key.strip().splitlines()[-1]
    try:
        served.wait_until_healthy()
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def desk(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Screen]:
    consoles: list[Console] = []
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        screen = open_screen(browser, consoles, {"width": 1280, "height": 900})
        sign_in(screen, server)
        yield screen
        browser.close()
    problems = [problem for console in consoles for problem in console.problems]
    assert not problems, "console errors:\n" + "\n".join(problems)


def rated_answer(response: Response) -> str:
    """The answer id a feedback request was sent for (``/v1/answers/{answer_id}/feedback``)."""
    return response.url.split("/v1/answers/")[1].split("/")[0]


def test_feedback_under_each_answer_and_the_saved_conversations(desk: Screen, server: Server) -> None:
    page = desk.page
    ask(page, RENT_QUESTION)
    expect(page.locator("#answer-text")).to_contain_text("3,180 dollars")

    # a thumb down with why, a comment and the answer as it should have been
    feedback = page.locator("#answer-feedback")
    expect(feedback.locator(".feedback-form")).to_be_hidden()
    feedback.locator(".feedback-down").click()
    expect(feedback.locator(".feedback-form")).to_be_visible()
    feedback.locator(".feedback-reason").select_option("incomplete")
    feedback.locator(".feedback-comment").fill("It should name the warehouse.")
    feedback.locator(".feedback-correction").fill(CORRECTION)
    screenshot(page, "feedback-form.png")
    with page.expect_response("**/v1/answers/*/feedback") as sent:
        feedback.get_by_role("button", name="Send feedback").click()
    assert sent.value.status == 200
    rent_answer = rated_answer(sent.value)
    thread = server.api("GET", "/v1/threads", params={"collection": "lease"}).json()["threads"][0]
    assert server.api("GET", f"/v1/threads/{thread['id']}").json()["turns"][0]["answer_id"] == rent_answer
    expect(feedback.locator(".feedback-status")).to_have_text("Thanks: feedback sent.")
    expect(feedback.locator(".feedback-down")).to_have_attribute("aria-pressed", "true")
    kept = server.api("GET", f"/v1/answers/{rent_answer}").json()["feedback"]
    assert (kept["rating"], kept["reason"], kept["comment"], kept["correction"]) == (
        "down",
        "incomplete",
        "It should name the warehouse.",
        CORRECTION,
    )

    # a follow-up by keyboard; the first turn moves up with its own feedback control, which still works
    page.locator("#question").type(TERM_QUESTION)
    with page.expect_response("**/v1/ask"):
        page.keyboard.press("Enter")
    expect(page.locator("#answer-area")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#answer-text")).to_contain_text("five years")
    earlier = page.locator("#thread-turns li").first
    with page.expect_response(f"**/v1/answers/{rent_answer}/feedback"):
        earlier.locator(".feedback-up").click()
    expect(earlier.locator(".feedback-up")).to_have_attribute("aria-pressed", "true")
    assert server.api("GET", f"/v1/answers/{rent_answer}").json()["feedback"]["rating"] == "up"

    # the conversation is listed, and renamed in place
    items = page.locator("#threads-list li")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("2 questions")
    expect(items.first).to_have_attribute("aria-current", "true")
    items.first.locator(".thread-rename").click()
    page.locator(".thread-title-input").fill("Generator lease rent")
    page.keyboard.press("Enter")
    expect(items.first.locator(".thread-title")).to_have_text("Generator lease rent")
    screenshot(page, "conversations.png", full_page=True)

    # a new conversation is listed first; the old one reopens with its turns, and a follow-up continues it
    ask(page, LAW_QUESTION)
    expect(items).to_have_count(2)
    expect(items.first.locator(".thread-title")).to_have_text(LAW_QUESTION)
    items.nth(1).locator(".thread-open").click()
    expect(page.locator("#thread-turns li")).to_have_count(2)
    expect(page.locator("#thread-turns li").first).to_contain_text(RENT_QUESTION)
    # the feedback given before shows again
    expect(page.locator("#thread-turns li").first.locator(".feedback-up")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#thread-turns li").nth(1).locator(".feedback-up")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#ask-status")).to_contain_text("Reopened “Generator lease rent”")
    expect(page.locator("#question")).to_be_focused()
    page.keyboard.type("When does the lease term begin?")
    with page.expect_response("**/v1/ask") as follow_up:
        page.keyboard.press("Enter")
    sent_body = follow_up.value.request.post_data_json
    expect(page.locator("#answer-text")).to_contain_text("June 15, 2022")
    expect(items.first.locator(".thread-title")).to_have_text("Generator lease rent")  # now the newest
    reopened_id = items.first.get_attribute("data-thread-id") or ""
    assert sent_body is not None and sent_body["thread_id"] == reopened_id
    assert len(server.api("GET", f"/v1/threads/{reopened_id}").json()["turns"]) == 3
    assert_no_horizontal_scroll(page)
    screenshot(page, "conversation-reopened.png", full_page=True)

    # delete, after a confirmation in place; the list and the server agree
    law = items.nth(1)
    law_id = law.get_attribute("data-thread-id") or ""
    law.locator(".thread-delete").click()
    law.get_by_role("button", name="Delete").click()
    expect(items).to_have_count(1)
    expect(page.locator("#threads-status")).to_have_text(f"Deleted “{LAW_QUESTION}”.")
    assert server.api("GET", f"/v1/threads/{law_id}").status_code == 404
