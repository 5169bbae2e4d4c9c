"""Follow-up questions: a turn of a thread is answered as the standalone question it stands for.

"Who filed the complaint in Calvary Chapel of Bangor v. Mills?" then "When did the court rule?": the second
question is about the case the first names. Without an LLM (the extractive mode) the standalone question is
built by rule: the follow-up, plus what scopes the thread so far (the case names ("X v. Y") and docket
numbers of the latest earlier turn that named any, with the proper names of the turns since (and of that turn,
when it named a docket number but no case); or, in a thread
that named no case, the proper names of the latest turn that named any) and the titles of the documents the
latest answer quoted. A follow-up that names its own case or docket number inherits nothing. With an LLM, the model
rewrites the follow-up (``prompts/followup.txt``); a rewrite that is no question of its own falls back to the rule:
empty or runaway, an answer instead of a question, an earlier question repeated, or one that drops what the
follow-up asks (a small model such as SmolLM2 does all four).

Either way the standalone question is what retrieval, document routing and the answerer see, and it is shown
in the response (``rewritten_question``) and kept in the audit trail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from service.core.seams import ChatMessage, Generator
from service.core.words import fold, words
from service.engine.answering.prompts import Prompts
from service.engine.answering.question import _CASE_NAME, _COURT, _DOCKET, _QUESTION_WORDS

REWRITE_TOKENS = 96
"""Most tokens of an LLM's standalone question; a longer one is cut off and the rule's is used instead."""
KEPT_SHARE = 2 / 3
"""Share of the follow-up's content words a model's rewrite must keep to be used (else the rule's is)."""
MAX_TITLES = 2
"""Titles of documents an earlier answer quoted that a follow-up inherits (the first cited)."""

_PROPER_RUN = re.compile(r"\b[A-Z][\w&'’.-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w&'’.-]*)*")  # noqa: RUF001
"""A run of capitalised words: "Scooper Trooper", "Calvary Chapel of Bangor", "CEVA Logistics"."""
_NOT_NAMES = _QUESTION_WORDS | {
    "court", "courts", "judge", "justice", "appeal", "appeals", "case", "circuit", "district", "bankruptcy",
    "supreme", "tax", "state", "states", "united", "federal", "first", "second", "third", "fourth", "fifth",
    "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "schedule", "exhibit", "form", "order", "ms", "mr",
    "mrs", "dr", "governor", "commissioner", "secretary", "clerk", "trustee", "debtor", "plaintiff", "defendant",
    "appellant", "appellee", "petitioner", "respondent", "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december", "i", "it", "they", "he", "she", "his", "her",
    "their", "and", "or", "chapter", "according",
}  # fmt: skip


@dataclass(frozen=True)
class Turn:
    """An earlier turn of a thread: the question asked, the standalone form it was answered as (when it
    differed), and the titles of the documents its answer quoted, first cited first."""

    question: str
    rewritten: str | None = None
    cited_titles: tuple[str, ...] = ()

    @property
    def standalone(self) -> str:
        return self.rewritten or self.question


@dataclass(frozen=True)
class Scope:
    """What a question names that keeps a thread on its subject."""

    cases: tuple[str, ...] = ()
    dockets: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    """Proper names other than courts and titles ("Scooper Trooper", "Experian")."""

    @property
    def names_case(self) -> bool:
        """Whether the question names a case or docket number of its own (then it inherits nothing)."""
        return bool(self.cases or self.dockets)

    def __bool__(self) -> bool:
        return bool(self.cases or self.dockets or self.names)


_NAME_BEFORE = re.compile(r"(?:[A-Z][\w.&'’-]*\s+(?:(?:of|the|de)\s+)?)+$")  # noqa: RUF001
"""Capitalised words, perhaps joined by "of", right before a case name the pattern began too late:
"Calvary Chapel of" + "Bangor v. Mills"."""


def _case_names(question: str) -> tuple[str, ...]:
    names: list[str] = []
    for match in _CASE_NAME.finditer(question):
        before = _NAME_BEFORE.search(question[: match.start()])
        name = (before.group() if before else "") + match.group()
        words = " ".join(name.split()).rstrip(",").split(" ")
        while len(words) > 3 and (words[0].lower() in _NOT_NAMES or words[0].lower() in {"in", "on", "from"}):
            words.pop(0)  # "Was Ryan Lewis v. ...", "In Calvary Chapel ...": the question's words, not the name's
        names.append(" ".join(words))
    return tuple(dict.fromkeys(names))


def scope_of(question: str) -> Scope:
    """The case names, docket numbers and (other) proper names of ``question``."""
    cases = _case_names(question)
    dockets = tuple(dict.fromkeys(_DOCKET.findall(question)))
    rest = _COURT.sub(" ", _CASE_NAME.sub(" ", _DOCKET.sub(" ", question)))
    names: list[str] = []
    for match in _PROPER_RUN.finditer(rest):
        words = [word for word in match.group().split() if word.lower().strip(".,'’") not in _NOT_NAMES]  # noqa: RUF001
        if words and (match.start() > 0 or len(words) > 1 or words[0].isupper()):
            # A question's first word is capitalised anyway: alone, it names something only in capitals ("CEVA").
            names.append(" ".join(words))
    return Scope(cases, dockets, tuple(dict.fromkeys(names)))


def _thread_scope(history: Sequence[Turn]) -> tuple[Scope, tuple[str, ...]]:
    """What scopes the thread: the case names and dockets of the latest turn that named any, with the proper
    names of the turns since ("... for the Governor?" stays in the case); without such a turn, the proper names
    of the latest turn that named any. And the titles of the documents the latest answer with quotes quoted."""
    names: list[str] = []
    found = Scope()
    for turn in reversed(history):
        scope = scope_of(turn.standalone)
        if scope.names_case:
            if not scope.cases:  # a docket number alone says little to ranking: keep who the turn named too
                names.extend(scope.names)
            within = " ".join(scope.cases).lower()
            found = Scope(
                scope.cases, scope.dockets, tuple(name for name in dict.fromkeys(names) if name.lower() not in within)
            )
            break
        if scope.names and not names:
            names.extend(scope.names)
    else:
        found = Scope(names=tuple(names))
    titles = next((turn.cited_titles for turn in reversed(history) if turn.cited_titles), ())
    return found, titles[:MAX_TITLES]


def _once(parts: list[str]) -> list[str]:
    """``parts`` without repeats, whatever their case: a document title that an earlier standalone form named
    as a proper name ("... (in Casco Bay Ferries; Equipment Lease)?") is added once, not twice."""
    seen: set[str] = set()
    kept: list[str] = []
    for part in parts:
        if part.lower() not in seen:
            seen.add(part.lower())
            kept.append(part)
    return kept


def standalone_by_rule(question: str, history: Sequence[Turn]) -> str | None:
    """``question`` with the thread's subject added ("... (in X v. Y, No. 20-1507)"), or None when it
    needs none: it names its own case, or nothing earlier named one."""
    question = question.strip()
    if not history or scope_of(question).names_case:
        return None
    scope, titles = _thread_scope(history)
    if not scope and not titles:
        return None
    subject = [*scope.cases, *scope.dockets, *scope.names]
    lowered = question.lower()
    subject = [part for part in subject if part.lower() not in lowered]
    context = _once([*subject, *(title for title in titles if title.lower() not in lowered)])
    if not context:
        return None
    body = question.rstrip(" ?")
    mark = "?" if question.endswith("?") else ""
    return f"{body} (in {'; '.join(context)}){mark}"


_LABEL = re.compile(
    r"^(?:q\d+|standalone question|question|rewritten(?: question)?|rewrite the last question[^:?]*)\s*:\s*",
    re.IGNORECASE,
)
"""A label the model put before its question: the prompt's own "Q2:", "Standalone question:", "Rewrite ... to:"."""
_FUNCTION_WORDS = {
    "about", "after", "and", "are", "because", "been", "before", "but", "can", "could", "did", "does", "for", "from",
    "had", "has", "have", "her", "him", "his", "how", "its", "not", "that", "the", "their", "them", "then", "there",
    "they", "this", "was", "were", "what", "when", "where", "which", "who", "whom", "whose", "why", "will", "with",
    "would",
}  # fmt: skip


def _keys(text: str) -> tuple[str, ...]:
    return tuple(fold(word) for word in words(text))


def _content_words(text: str) -> set[str]:
    return {key for key in _keys(text) if len(key) > 2 and key not in _FUNCTION_WORDS}


def _usable(rewrite: str, question: str, history: Sequence[Turn]) -> bool:
    """Whether the model's ``rewrite`` is the follow-up as a standalone question: a question (an answer or a
    statement is not), not an earlier turn's question repeated, keeping most of what the follow-up asks."""
    if not rewrite.endswith("?") or rewrite.strip() == question.strip():
        return False
    if _keys(rewrite) in {_keys(text) for turn in history for text in (turn.question, turn.standalone)}:
        return False
    asked = _content_words(question)
    return len(asked & _content_words(rewrite)) >= KEPT_SHARE * len(asked)


def rewrite_with_model(question: str, history: Sequence[Turn], generator: Generator, prompts: Prompts) -> str | None:
    """The model's standalone form of ``question``, or None when it gave none usable (empty, cut off, no
    question, an earlier question again, or one that lost the follow-up's words)."""
    lines = [f"Q{number}: {turn.standalone}" for number, turn in enumerate(history, 1)]
    prompt = prompts.render_followup("\n".join(lines), question.strip())
    raw = generator.generate([ChatMessage("user", prompt)], REWRITE_TOKENS)
    first = next((line.strip() for line in raw.strip().splitlines() if line.strip()), "")
    while (label := _LABEL.match(first)) is not None:
        first = first[label.end() :].strip()
    first = first.strip(' "')
    if not first or generator.count_tokens(raw) >= REWRITE_TOKENS or not _usable(first, question, history):
        return None
    return first


def standalone_question(
    question: str, history: Sequence[Turn], generator: Generator | None, prompts: Prompts
) -> str | None:
    """The standalone form of a follow-up (None when ``question`` already stands alone or there is no
    history): the LLM's rewrite when there is a model and it gave one, else the rule's."""
    if not history:
        return None
    if generator is not None:
        rewritten = rewrite_with_model(question, history, generator, prompts)
        if rewritten is not None:
            return rewritten
    return standalone_by_rule(question, history)
