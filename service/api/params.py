"""Request values checked before the database sees them: path parameters and the strings of request bodies.

Both databases refuse some values that Python accepts: PostgreSQL stores no NUL character in text and
no integer from 2^31 on in an ``integer`` column, SQLite none from 2^63 on. Each such value would be a
500 from the database; here it is a 422 naming the field, like every other malformed value.

- ``Name``: identifiers and names (collections, document and job ids, models, filter names): no control
  characters at all, at most ``MAX_NAME_CHARS``.
- ``Text``: free text (questions, queries, filter values): line breaks and tabs are text, NUL and the
  other control characters are not.
- ``PageNumber``, ``TextOffset``: integers a page or character position can be, from 0 or 1 to 2^31 - 1.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator

MAX_INT = 2**31 - 1
"""The largest page number or character offset accepted: PostgreSQL's ``integer``, which pages are numbered in."""
MAX_NAME_CHARS = 200
"""The longest id or name accepted (collection names stop at 64, ids are 16 characters)."""
_TEXT_CONTROLS = frozenset("\t\n\r\f\v")


def _control_at(value: str, allowed: frozenset[str]) -> str | None:
    """Where ``value`` holds a control character other than ``allowed``, as words; None if nowhere."""
    for position, character in enumerate(value):
        if character not in allowed and unicodedata.category(character) == "Cc":
            return f"U+{ord(character):04X} at character {position}"
    return None


def check_name(value: str) -> str:
    """``value`` if it holds no control character; else a ``ValueError`` saying which and where."""
    found = _control_at(value, frozenset())
    if found:
        raise ValueError(f"must not contain control characters (found {found})")
    return value


def check_text(value: str) -> str:
    """``value`` if it holds no NUL or control character other than line breaks and tabs."""
    found = _control_at(value, _TEXT_CONTROLS)
    if found:
        raise ValueError(f"must not contain NUL or control characters other than line breaks and tabs (found {found})")
    return value


Name = Annotated[str, AfterValidator(check_name)]
"""An identifier or name in a body: no control characters."""
Text = Annotated[str, AfterValidator(check_text)]
"""Free text in a body: no NUL, no control characters but line breaks and tabs."""

CollectionPath = Annotated[
    str, Path(max_length=MAX_NAME_CHARS, description="Collection (matter) name."), AfterValidator(check_name)
]
DocumentIdPath = Annotated[
    str, Path(max_length=MAX_NAME_CHARS, description="Document id (listings, jobs)."), AfterValidator(check_name)
]
JobIdPath = Annotated[
    str, Path(max_length=MAX_NAME_CHARS, description="Upload job id (an upload's 202)."), AfterValidator(check_name)
]
ThreadIdPath = Annotated[
    str, Path(max_length=MAX_NAME_CHARS, description="Thread id (an answer's thread_id)."), AfterValidator(check_name)
]
AnswerIdPath = Annotated[
    str, Path(max_length=MAX_NAME_CHARS, description="Answer id (an answer's answer_id)."), AfterValidator(check_name)
]
PageNumber = Annotated[int, Path(ge=1, le=MAX_INT, description="Physical page, from 1.")]
