"""What spaCy's model reads of a page: the page's text, same length (so that spans stay the page's), with its
lines in capitals in title case and wrapped prose on one line."""

from __future__ import annotations

import re

_CAPS_LINE = re.compile(r"^[^a-z\r\n]*[A-Z]{2}[^a-z\r\n]*$", re.MULTILINE)


WRAPPED_LINE = 0.7
"""A line at least this share of the page's width is wrapped prose: the break after it is a space."""


def _join_wrapped(text: str) -> str:
    """The page with the line breaks of wrapped prose made spaces ("with whom Aaron\nM. Frey" -> "Aaron M. Frey"),
    so that a name broken across two lines is read whole; short lines (addresses, counsel blocks, captions, where
    each line is its own item) keep their breaks. Same length."""
    lines = text.split("\n")
    lengths = sorted(len(line.strip()) for line in lines)
    # the page's width: a long line near the top of the lengths, not the longest (a stamp or a URL runs over)
    width = lengths[int(len(lengths) * 0.9)] if lengths else 0
    if width < 40:
        return text
    joined = [
        line + (" " if len(line.strip()) >= WRAPPED_LINE * width and index < len(lines) - 1 else "\n")
        for index, line in enumerate(lines)
    ]
    return "".join(joined)[: len(text)]


def model_text(text: str) -> str:
    """What the model reads: the page with its lines in capitals in title case ("SEAN RIORDAN" -> "Sean Riordan"),
    which a model trained on ordinary prose reads as names, and wrapped prose on one line; same length, so spans
    stay the page's."""
    cased = _join_wrapped(_CAPS_LINE.sub(lambda line: line.group(0).title(), text))
    return cased if len(cased) == len(text) else text
