"""Helpers for tests/web/test_web_e2e.py: live ``docqa serve`` processes, console watching, page steps."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.support.llm import free_port
from tests.support.paths import REPO

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def skip_without_chromium() -> None:
    """Skip the calling test module when Debian's chromium is not installed (as outside ``docker/install.sh``)."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"Debian's chromium is not installed at {CHROMIUM} (docker/install.sh --dev installs it)",
            allow_module_level=True,
        )


# ---- live servers -------------------------------------------------------------------------------


@dataclass
class Server:
    """A ``docqa serve`` subprocess and what tests need to talk to it."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    key: str | None = None
    reader_key: str | None = None
    """A key with the reader role for the same matter (no uploads, no deletes)."""
    data_dir: Path | None = None

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return httpx.request(method, self.url + path, headers=headers, timeout=60, **kwargs)

    def wait_until_healthy(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docqa serve exited with {self.process.returncode}; log:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"docqa serve did not answer /healthz within {timeout_s:g} s; log:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


def docqa_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without its DOCQA_ settings, plus a data folder of the test's own."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("DOCQA_")}
    return environment | {
        "HF_HUB_OFFLINE": "1",
        "DOCQA_DATA_DIR": str(data_dir),
        "DOCQA_EMBEDDING__CACHE_DIR": str(REPO / ".cache" / "models"),  # the exported model, shared by the suite
        "DOCQA_OCR__ENABLED": "false",
        **extra,
    }


def docqa(environment: dict[str, str], *arguments: str) -> str:
    """Run a ``docqa`` command to completion; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "service", *arguments], env=environment, cwd=REPO, capture_output=True, timeout=120
    )
    assert done.returncode == 0, f"docqa {' '.join(arguments)} failed:\n{done.stderr.decode(errors='replace')}"
    return done.stdout.decode()


def start_server(environment: dict[str, str], corpus: Path, collection: str, log_path: Path) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "service", "serve", "--ingest", str(corpus), "-c", collection, "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=environment, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    return Server(f"http://127.0.0.1:{port}", process, log_path, data_dir=Path(environment["DOCQA_DATA_DIR"]))


# ---- pages and their consoles ---------------------------------------------------------------------


@dataclass
class Console:
    """Console errors and warnings of one page, minus the failed requests a test declared."""

    expected: list[tuple[str, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def on_message(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "warning"):
            return
        url = message.location.get("url", "")
        failed_request = message.text.startswith("Failed to load resource")
        if failed_request and any(
            path in url and f"status of {status}" in message.text for path, status in self.expected
        ):
            return
        self.problems.append(f"{message.type}: {message.text} ({url})")

    def expect_failure(self, path: str, status: int) -> None:
        """A request to ``path`` answering ``status`` is intended; Chromium logs it, and that is fine."""
        self.expected.append((path, status))


@dataclass
class Screen:
    page: Page
    console: Console


def open_screen(browser: Browser, consoles: list[Console], viewport: dict[str, int], **options: Any) -> Screen:
    context = browser.new_context(viewport=viewport, reduced_motion="reduce", **options)
    context.set_default_timeout(20_000)
    page = context.new_page()
    console = Console()
    page.on("console", console.on_message)
    page.on("pageerror", lambda error: console.problems.append(f"uncaught: {error}"))
    consoles.append(console)
    return Screen(page, console)


def sign_in(screen: Screen, server: Server, key: str | None = None) -> None:
    page = screen.page
    key = key or server.key
    # A first visit asks /v1/whoami without a key: the 401 is how the UI learns that keys are on.
    screen.console.expect_failure("/v1/whoami", 401)
    page.goto(server.url + "/")
    expect(page.locator("#api-key")).to_be_visible()
    assert key
    page.fill("#api-key", key)
    page.click("#sign-in-submit")
    expect(page.locator("#question")).to_be_visible()
    expect(page.locator("#ask-button")).to_be_enabled()  # the matters have loaded


# ---- steps --------------------------------------------------------------------------------------


def screenshot(page: Page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=full_page)


def assert_no_horizontal_scroll(page: Page) -> None:
    overflowing = page.evaluate(
        """() => ['html', '#viewer', '#viewer-text', '#main']
            .map((selector) => document.querySelector(selector))
            .filter((element) => element && element.getClientRects().length > 0)
            .filter((element) => element.scrollWidth > element.clientWidth + 1)
            .map((element) => `${element.id || element.tagName}: ${element.scrollWidth} > ${element.clientWidth}`)"""
    )
    assert not overflowing, f"horizontal scrolling at {page.viewport_size}: {overflowing}"


def assert_within_the_screen(page: Page, selector: str) -> None:
    """No visible element of ``selector`` reaches past either edge of the screen (text that overflows its
    box counts, even where no scroll bar shows it)."""
    assert page.viewport_size is not None
    sticking_out = page.evaluate(
        """([selector, width]) => {
            return [...document.querySelectorAll(`${selector}, ${selector} *`)]
              .filter((element) => element.getClientRects().length > 0)
              .filter((element) => !element.classList.contains("visually-hidden"))
              .map((element) => [element, element.getBoundingClientRect()])
              .filter(([element, box]) => box.right > width + 1 || box.left < -1
                || element.scrollWidth > element.clientWidth + 1 && getComputedStyle(element).display !== "inline")
              .map(([element, box]) => `${element.tagName.toLowerCase()}.${element.className}: `
                + `${Math.round(box.left)}..${Math.round(box.right)} (scroll ${element.scrollWidth}) of ${width}`)
        }""",
        [selector, page.viewport_size["width"]],
    )
    assert not sticking_out, f"past the screen's edge at {page.viewport_size}: {sticking_out}"


def ask(page: Page, question: str, follow_up: bool = False) -> None:
    """Ask through the form (in a new conversation, unless ``follow_up``); returns once the answer (or
    refusal) is complete."""
    page.locator("#tab-ask").click()
    if not follow_up and page.locator("#new-conversation").is_visible():
        page.click("#new-conversation")
    page.fill("#question", question)
    with page.expect_response("**/v1/ask") as response:
        page.click("#ask-button")
    assert response.value.headers["content-type"].startswith("text/event-stream"), "the answer is not streamed"
    expect(page.locator("#answer-area")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#ask-button")).to_be_enabled()


def open_citation(page: Page, marker: int) -> None:
    page.locator(f"#answer-text button.cite[data-marker='{marker}']").click()
    expect(page.locator("#viewer")).to_be_visible()
    page.wait_for_selector("#viewer:not([aria-busy])")


def show_view(page: Page, view: str) -> None:
    """Switch the viewer to the page "image" or the page "text" (the reader's choice persists)."""
    toggle = page.locator("#viewer-toggle")
    if toggle.inner_text() == ("Show page image" if view == "image" else "Show text"):
        toggle.click()
    expect(page.locator("#viewer-image" if view == "image" else "#viewer-text")).to_be_visible()


def close_viewer(page: Page) -> None:
    if page.locator("#viewer").is_visible():
        page.click("#viewer-close")
    expect(page.locator("#viewer")).to_be_hidden()


def squash(text: str) -> str:
    return " ".join(text.split())
