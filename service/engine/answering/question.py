"""What a question asks for: its parts, the kind of fact each part wants, its words, and what it names.

"When did CEVA deny the claim, and what reason did it give?" has two parts: one wants a date, the
other a reason. The extractive answerer looks for a sentence answering each part, and refuses when the
first part's kind of fact is in no retrieved sentence. What the question *names* (a case "X v. Y", a
docket number, a judge) must be in the collection at all, or the question is about something else.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from ingest.legal.docket import courts_named
from service.engine.answering.facts import Fact

_STEMMER = Stemmer.Stemmer("english")

# Each rule: a pattern over one part of the question, and the facts that answer it (the first rule
# that matches a part decides; order matters: "how much" before "what").
_YES_NO = re.compile(
    r"^\s*(?:[^?]*,\s+)?(?:did|does|do|is|are|was|were|has|have|had|can|could|must|should|will|may)\s",
    re.IGNORECASE,
)
"""A part that opens with an auxiliary verb, perhaps after a clause ("After X, did the court ..."), asks yes or no."""
_KIND_RULES: tuple[tuple[str, re.Pattern[str], frozenset[Fact]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE), frozenset(facts))
    for kind, pattern, facts in (
        ("how_long", r"\bhow\s+long\b|\bwithin\s+how\s+many\b", {Fact.DURATION}),
        ("how_many", r"\bhow\s+many\b|\bnumber\s+of\b", {Fact.NUMBER}),
        (
            "how_much",
            r"\bhow\s+much\b|\bwhat\s+(?:\w+\s+){0,3}(?:amounts?|sums?|fees?|figures?|prize|total|liabilit\w*|assets|"
            r"damages|fine|penalt\w*|price|salary|share|percentage|rate|value|award)\b|\bwhat\s+share\b",
            {Fact.AMOUNT},
        ),
        ("when", r"\bwhen\b|\bwhat\s+(?:date|day|year|time)\b|\bby\s+when\b", {Fact.DATE}),
        (
            "who",
            r"\bwho(?:m|se)?\b|\bwhich\s+(?:\w+\s+){0,2}(?:judge|justice|clerk|attorney|lawyer|counsel|party|person|"
            r"people|firm|company|trustee|witness)",
            {Fact.PERSON},
        ),
        (
            "where",
            r"\bwhere\b|\bwhat\s+(?:address|place|location|city|county|state)\b|\b(?:to|from|in)\s+which\s+"
            r"(?:\w+\s+)?(?:district|court|county|state|city|river|facility)\b",
            {Fact.PLACE},
        ),
        (
            "why",
            r"\bwhy\b|\bwhat\s+(?:\w+\s+)?(?:reason|ground|basis|findings?)\b|\bon\s+what\s+(?:\w+\s+)?(?:ground|basis|findings?)",
            {Fact.REASON},
        ),
        (
            "which_case",
            r"\bwhich\s+(?:\w+\s+){0,2}(?:case|cases|decision|lawsuits?|suits?|compact|rule|statute|authority|"
            r"precedent|act|code|regulation)\b|\bunder\s+(?:which|what)\b",
            {Fact.AUTHORITY},
        ),
        (
            "what_held",
            r"\b(?:hold|held|rule|ruled|decide|decided|dispose|disposed|resolve|resolved|conclude|concluded|"
            r"standard\s+of\s+review)\b|\bwhat\s+did\s+.*\border\b",
            {Fact.HOLDING},
        ),
    )
)
_PART_SPLIT = re.compile(
    r",?\s+and\s+(?=(?:(?:from|to|in|on|under|by|for|with)\s+)?(?:what|which|who|whom|whose|when|where|why|how)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*[A-Za-z]|\d[\d,.:-]*\d|\d")  # noqa: RUF001 - typographic apostrophe is real
# Question words and stop words: they say how something is asked, not what about (bm25s's English
# list, as the lexical index uses, plus the words questions are made of).
_QUESTION_WORDS = frozenset(STOPWORDS_EN) | {
    "about", "according", "after", "any", "been", "before", "being", "can", "could", "date", "day", "did", "do",
    "does", "each", "ever", "from", "had", "has", "have", "having", "he", "her", "him", "his", "how", "its", "long",
    "many", "much", "said", "say", "says", "she", "them", "those", "time", "under", "were", "what", "when", "where",
    "which", "who", "whom", "whose", "why", "would", "year",
}  # fmt: skip

_CASE_NAME = re.compile(
    r"\b((?:[A-Z][\w.&'’-]*,?\s+){0,5}?[A-Z][\w.&'’-]*)\s+v\.\s+((?:[A-Z][\w.&'’-]*,?\s*){1,5})"  # noqa: RUF001
)
_DOCKET = re.compile(
    r"\b(?:\d{1,2}:\d{2}-?[a-z]{1,4}-\d{3,6}|(?:MDL\s+)?\d{2}-\d{3,6}|\d{2}\s+B\s+\d{4,6}|[A-Z]{2}\d{5,7}|"
    r"\d{4}-[A-Z]{2,6}-\d{1,4}|CV\d{2}-\d{3,6})\b"
)
_COURT = re.compile(
    r"\b(?:(?:First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth|Eleventh|D\.C\.|Federal)\s+Circuit|"
    r"Supreme\s+Court(?:\s+of\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)?|Court\s+of\s+Appeals|Tax\s+Court|"
    r"(?:District|Bankruptcy)\s+Court)\b"
)
_CITATION_PARENTHESES = re.compile(r"\([^()]*(?:No\.|Nos\.|Cir\.|Memo\.|NCSC|\d{2}-\d{3,})[^()]*\)")
_TITLED_NAME = re.compile(r"\b(?:Judge|Justice|Magistrate|Clerk|Trustee)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)")
# Words of a case name that name no one in particular: they are in most collections of filings.
_GENERIC_NAME_WORDS = frozenset({
    "inc", "llc", "co", "corp", "company", "corporation", "ltd", "lp", "l.p", "plc", "na", "n.a", "group", "holdings",
    "the", "of", "and", "state", "states", "united", "america", "city", "county", "commissioner", "people",
    "commonwealth", "government", "department", "re", "in", "ex", "rel", "et", "al", "mr", "ms", "dr", "district",
    "board", "bank", "insurance", "national", "american", "operations", "services",
})  # fmt: skip


@dataclass(frozen=True)
class QuestionPart:
    """One thing asked: its text, its kind ("when", "how_much", ...) and the facts that answer it."""

    text: str
    kind: str
    wants: frozenset[Fact]
    case_words: frozenset[str] = frozenset()
    """Stems of the parties of the cases this part names ("... in City of Hoboken v. Chevron Corp.")."""
    dockets: frozenset[str] = frozenset()
    """The docket numbers this part names ("(No. 21-2728)"), as ``terms`` spells them."""
    set_aside: frozenset[str] = frozenset()
    """Stems of what the part sets aside ("due before any extension", "other than the bond"): a sentence
    about that answers something else."""
    courts: frozenset[str] = frozenset()
    """Ids (``ingest.legal.docket.courts_named``) of the courts whose ruling this part asks about: "did the
    District of Maine grant ..." asks about "med", whatever the First Circuit did before."""


@dataclass(frozen=True)
class Question:
    """A question as the answerer sees it."""

    text: str
    parts: tuple[QuestionPart, ...]
    names: tuple[str, ...]
    """Case parties, docket numbers and titled names the question gives: each must be in the collection."""

    def topic_terms(self, part: QuestionPart, titles: Sequence[str] = ()) -> list[str]:
        """The part's words less those that only say which case it is about (parties, docket, court, the
        words of the ``titles`` of the documents searched): every page of the case holds those, so they
        cannot tell its sentences apart."""
        naming = set(terms(" ".join([*self.names, *titles])))
        for pattern in (_CASE_NAME, _COURT, _CITATION_PARENTHESES):
            for match in pattern.finditer(self.text):
                naming.update(terms(match.group()))
        return [word for word in terms(part.text) if word not in naming and word not in part.set_aside]

    def without_names(self, part: QuestionPart, titles: Sequence[str] = ()) -> str:
        """The part's text less the case it is about (as ``topic_terms``), for comparing meaning with sentences
        of that case; the whole part when too little would be left."""
        text = part.text
        for pattern in (_CITATION_PARENTHESES, _CASE_NAME, _COURT, _DOCKET):
            text = pattern.sub(" ", text)
        naming = {word.lower() for title in titles for word in _WORD.findall(title)}
        kept = [word for word in text.split() if word.lower().strip(".,'’?") not in naming]  # noqa: RUF001
        return " ".join(kept) if len(terms(" ".join(kept))) >= 2 else part.text

    @property
    def kind(self) -> str:
        """The kind of the first part: what the question is mainly about."""
        return self.parts[0].kind


_COURT_SUBJECT = re.compile(r"\b(?:court|circuit|judge|justice|panel|tribunal|magistrate)\b", re.IGNORECASE)


def _kind(text: str) -> tuple[str, frozenset[Fact]]:
    if _YES_NO.match(text):
        # "Did the court require a bond?" asks for a court's ruling; "Are the Bordelons liable?" or "Did she
        # seek rehearing?" for a disposition stated by anyone (a party's own filing may say it).
        ruling = frozenset({Fact.HOLDING, Fact.DISPOSITION})
        return "yes_no", ruling if _COURT_SUBJECT.search(text) else frozenset({Fact.DISPOSITION})
    for kind, pattern, facts in _KIND_RULES:
        if pattern.search(text):
            return kind, facts
    return "other", frozenset()


_LETTERED = re.compile(r"\b(Schedule|Exhibit|Appendix|Attachment|Annex|Part|Count|Tab)\s+([A-Z]{1,3})\b")
"""A part of a filing named by a letter or number: "Schedule B" is not "Schedule A"."""


def terms(text: str) -> list[str]:
    """Stems of the content words ("filed" and "file" are "file"), without question words ("did", "which");
    a lettered part of a filing is one word ("Schedule B" is "schedule-b")."""
    text = _LETTERED.sub(lambda match: f"{match.group(1)}-{match.group(2)}", text)
    words = (re.sub(r"['’]s$", "", word.lower().strip(".,'’")) for word in _WORD.findall(text))  # noqa: RUF001
    return list(_STEMMER.stemWords([word for word in words if word and word not in _QUESTION_WORDS and len(word) > 1]))


def _case_parties(question: str) -> list[str]:
    """The distinctive words of both sides of every "X v. Y" the question names ("Inc.", "State" are not)."""
    found: list[str] = []
    for match in _CASE_NAME.finditer(question):
        for side in match.groups():
            words = [re.sub(r"['’]s$", "", word.strip(",.'’")) for word in side.split()]  # noqa: RUF001
            found.extend(
                w for w in words if len(w) > 2 and w[0].isupper() and w.lower().rstrip(".") not in _GENERIC_NAME_WORDS
            )
    return found


_PREMISE = re.compile(r"^\s*(?:after|following|once|since|before|having)\b[^,?]*,", re.IGNORECASE)
"""An opening clause that sets the scene ("After the First Circuit dismissed its appeal, ..."): what it
says is taken as given, not asked."""


def _acting_courts(text: str) -> frozenset[str]:
    """The courts a part names, less those of its opening clause and of its citations ("(1st Cir. No. ...)")."""
    return frozenset(courts_named(_CITATION_PARENTHESES.sub(" ", _PREMISE.sub(" ", text))))


_SET_ASIDE = re.compile(
    r"\b(?:before\s+any\s+|without\s+(?:any\s+|the\s+)?|other\s+than\s+(?:the\s+|any\s+)?|except\s+(?:for\s+)?(?:the\s+)?|"
    r"excluding\s+(?:the\s+|any\s+)?|apart\s+from\s+(?:the\s+)?)([A-Za-z][\w-]*)",
    re.IGNORECASE,
)


def _part(text: str) -> QuestionPart:
    return QuestionPart(
        text,
        *_kind(text),
        case_words=frozenset(terms(" ".join(_case_parties(text)))),
        dockets=frozenset(terms(" ".join(_DOCKET.findall(text)))),
        set_aside=frozenset(terms(" ".join(match.group(1) for match in _SET_ASIDE.finditer(text)))),
        courts=_acting_courts(text),
    )


def analyse(question: str) -> Question:
    """Split ``question`` into parts, give each its kind, and collect what it names."""
    pieces = [piece.strip() for piece in _PART_SPLIT.split(question) if piece.strip()]
    parts: list[QuestionPart] = []
    for part in [_part(piece) for piece in pieces] or [_part(question)]:
        if parts and not (part.case_words or part.dockets):
            # "..., and who signed it?" is about the case the part before names.
            part = dataclasses.replace(part, case_words=parts[-1].case_words, dockets=parts[-1].dockets)
        parts.append(part)
    names = [*_case_parties(question), *_DOCKET.findall(question), *_TITLED_NAME.findall(question)]
    return Question(question, tuple(parts), tuple(dict.fromkeys(names)))
