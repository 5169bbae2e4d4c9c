"""The numbered items of a fill-in form, each with its answer: what a bankruptcy schedule or statement says.

An official form asks numbered questions ("18. Within 2 years before you filed for bankruptcy, did you sell,
trade, or otherwise transfer any property to anyone ...?") and the filer's answer is what follows, often as
rows of a table under column headings, before the next item ("19. ..."). Cut into sentences, the question
ends at its "?" (and a question answers nothing) while the rows run together with headings and checkboxes;
quoted as a whole, the item is both the question and the filer's answer to it.
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


@dataclass(frozen=True)
class FormItem:
    """A numbered question of a form and its answer, as spans of the page text."""

    span: Span
    """The whole item: the question, then the answer."""
    question_end: int
    """Where the question ends (after its "?"): the answer is ``[question_end, span.end)``."""


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
