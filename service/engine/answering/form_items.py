# ruff: noqa: RUF001, RUF002 - the en dashes are those filings print
"""Items of a filing that are read whole, heading and body: a form's numbered question with the filer's answer,
and a lettered schedule or exhibit with its table.

An official form asks numbered questions ("18. Within 2 years before you filed for bankruptcy, did you sell,
trade, or otherwise transfer any property to anyone ...?") and the filer's answer is what follows, often as
rows of a table under column headings, before the next item ("19. ..."). An order's schedule ("Schedule B –
Direct-Filed Cases to Be Transferred") is a title over rows of a table. Cut into sentences, the question ends
at its "?" (and a question answers nothing), the title is a heading, and the rows run together; quoted as a
whole, the item is both what is asked or listed and the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.engine.answering.sentences import Span

_ITEM_START = re.compile(r"(?m)^[ \t]*(\d{1,2}[a-z]?)\.[ \t]+(?=[A-Z])")
_ITEM_END = re.compile(r"(?m)^[ \t]*(?:Part \d+:|Official Form|Software Copyright|Case \d|B\d{3,4}\b)")
"""What ends the last item of a page: the next part of the form, or the page's footer."""
QUESTION_MAX_CHARS = 400
"""How far into an item its question must end: past this, the item is prose, not a form's question."""
ITEM_MAX_CHARS = 1500
"""The longest item quoted whole (its answer is cut there)."""


_LETTERED_TITLE = re.compile(
    r"(?m)^[ \t]*(?:Schedule|Exhibit|Appendix|Attachment|Annex)[ \t]+[A-Z0-9]{1,3}[ \t]*[-–—:][^\n]*$"
)
"""The title line of a lettered part of a filing: "Schedule B – Direct-Filed Cases to Be Transferred"."""


@dataclass(frozen=True)
class FormItem:
    """A numbered question of a form and its answer, or a lettered part's title and its body, as spans of the
    page text."""

    span: Span
    """The whole item: the question, then the answer."""
    question_end: int
    """Where the question (or title) ends: the answer is ``[question_end, span.end)``."""


def form_items(page_text: str) -> list[FormItem]:
    """The numbered items of ``page_text`` whose question ends in "?" and that have an answer after it."""
    starts = [match.start(1) for match in _ITEM_START.finditer(page_text)]
    if not starts:
        return []
    ends = []
    for start, following in zip(starts, [*starts[1:], len(page_text)], strict=True):
        stop = _ITEM_END.search(page_text, start, following)
        ends.append(stop.start() if stop else following)
    items: list[FormItem] = []
    for start, end in zip(starts, ends, strict=True):
        mark = page_text.find("?", start, min(end, start + QUESTION_MAX_CHARS))
        if mark < 0:
            continue
        end = min(end, start + ITEM_MAX_CHARS)
        while end > mark and page_text[end - 1].isspace():
            end -= 1
        if page_text[mark + 1 : end].strip():
            items.append(FormItem(Span(start, end), mark + 1))
    return items


def lettered_parts(page_text: str) -> list[FormItem]:
    """The lettered parts of a filing that begin on ``page_text`` ("Schedule B – ..."), each with its body up to
    the next one or the end of the page."""
    titles = list(_LETTERED_TITLE.finditer(page_text))
    if not titles:
        return []
    items: list[FormItem] = []
    ends = [title.start() for title in titles[1:]] + [len(page_text)]
    for title, next_start in zip(titles, ends, strict=True):
        start = title.start() + len(title.group()) - len(title.group().lstrip())
        end = min(next_start, start + ITEM_MAX_CHARS)
        while end > title.end() and page_text[end - 1].isspace():
            end -= 1
        if page_text[title.end() : end].strip():
            items.append(FormItem(Span(start, end), title.end()))
    return items
