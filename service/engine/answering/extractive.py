"""The extractive mode: no LLM. The answer quotes the sentences of the retrieved pages that answer the question.

Sentences (legal boundaries, ``service.engine.answering.sentences``) of every page the retriever found are ranked for
each part of the question (``service.engine.answering.question``) by three things: closeness in meaning (MiniLM
cosine), the question's rarer words they contain, and whether they hold the kind of fact the part
asks for (``service.engine.answering.facts``: a date for "when", a disposition for "what did the court hold"). The
answer leads with the best sentence for the first part, adds the best one for each other part, and
a neighbouring sentence where one is needed to understand it ("Filed:" and the date on the next line;
"It" that names nothing). Every quote is verbatim by construction, so every citation is verified; the
answer's ``support`` (its lead sentence's score) and the parts whose kind of fact no sentence holds
let ``QaEngine`` decide between answering, warning and refusing. Responses say ``"mode": "extractive"``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from service.core.domain import PageRecord, SearchHit
from service.core.seams import Embedder
from service.engine.answering.authors import AUTHOR_LINE, asks_author
from service.engine.answering.candidates import (
    LOWER_START,
    Candidate,
    PageSentences,
    dangles,
    merge_adjacent,
    same_place,
)
from service.engine.answering.citations import DraftCitation
from service.engine.answering.facts import Fact, restates
from service.engine.answering.question import Question, QuestionPart

DATUM_KINDS = frozenset({"when", "how_much", "how_many", "how_long"})
_DECISIVE_KINDS = DATUM_KINDS | {"which_case"}
"""Kinds of question whose fact is the answer itself: the date, the amount, the count, the named authority."""
"""Kinds of question that ask for one datum: without a sentence holding it, the question is not answered."""
RULINGS = frozenset({Fact.HOLDING, Fact.DISPOSITION})
PARTY_PAPERS = frozenset({"motion", "brief", "petition", "complaint", "declaration", "notice", "exhibit"})
"""Document types (``ingest.legal.docket``) written by a party: what they say a court should do is no ruling."""
_CONCLUSION = re.compile(
    r"^(?:Therefore|Thus|Accordingly|Consequently|Hence|As a result)\b|\b(?:thus|therefore|accordingly)\b",
    re.IGNORECASE,
)
"""A conclusion ("Therefore, this matter is remanded"): asked why, the reader needs the sentence before it."""
_PRONOUN_START = re.compile(r"^(?:It|This|That|These|Those|He|She|They|Such|Its|Their|His|Her)\b")


@dataclass(frozen=True)
class Weights:
    """How a sentence's score for a part of the question is made (tuned on the court-qa dev set)."""

    meaning: float = 1.0
    """Times the cosine between the sentence and the question part."""
    words: float = 0.45
    """Times the share of the part's topic words in the sentence, each weighted by its idf over the candidate
    sentences, squared (``_coverage``)."""
    fact: float = 0.2
    """Added when the sentence holds a kind of fact the part asks for."""
    decisive_fact: float = 0.35
    """Added instead when the fact is the answer itself: the date, amount, count or named authority asked for,
    or a holding."""
    rank: float = 0.06
    """Added, divided by 1 + the retrieval rank of the sentence's page."""
    in_chunk: float = 0.03
    """Added when the sentence is inside the retrieved chunk itself, not only on its page."""
    caption: float = 0.15
    """Taken off a caption or heading ("X, Plaintiff—Appellant, versus Y"), which names the case, and off a
    question (a form's "Did you ...?"): neither answers."""
    named_case: float = 0.1
    """Added when the sentence's document is the case this part of the question names (a question may
    ask about two cases, one in each part)."""
    other_case: float = 0.2
    """Taken off a sentence from a case that another part of the question names, not this one."""
    set_aside: float = 0.5
    """Taken off a sentence about what the part sets aside ("due before any extension": a sentence about the
    extension gives the later date)."""
    runner_up: float = 0.1
    """A runner-up for a part is quoted too when it scores within this of the part's best sentence (and holds
    the kind of fact asked for)."""


@dataclass(frozen=True)
class ExtractiveAnswer:
    """What the extractive answerer found: the quotes, how well the best one answers, and what is missing."""

    text: str
    citations: list[DraftCitation]
    support: float
    """The lead sentence's score: closeness, words and fact kind together (0 when nothing was found)."""
    unanswered_parts: list[QuestionPart] = field(default_factory=list)
    """Parts of the question whose kind of fact no well-placed sentence holds."""


@dataclass(frozen=True)
class ExtractiveAnswerer:
    """Picks the sentences of the retrieved pages that answer each part of the question, and quotes them."""

    embedder: Callable[[], Embedder]
    pages: Callable[[str, int], PageRecord] | None = None
    """Page lookup; with it every sentence of a retrieved page is a candidate, and quotes are whole sentences."""
    hits_considered: int = 8
    max_sentences: int = 4
    shortlist: int = 16
    """Candidates embedded per question (the best by words, fact kind and rank); embedding is the cost."""
    weights: Weights = Weights()
    fact_window: int = 5
    """A part is answered only if one of its best this-many sentences holds the kind of fact it asks for ..."""
    min_fact_coverage: float = 0.2
    """... and this share of the part's topic words (``_coverage``): a date in a sentence about something else
    does not say when the thing asked about happened."""
    min_ruling_coverage: float = 0.1
    """The share of a part's topic words a ruling must hold to answer what a court decided about that topic."""

    @property
    def sentences(self) -> PageSentences:
        """Where the candidate sentences come from."""
        return PageSentences(self.pages)

    def answer(self, asked: Question, hits: Sequence[SearchHit]) -> ExtractiveAnswer:
        """The quoted answer; each quote gets its own marker, 1, 2, ..."""
        candidates = self.sentences.candidates(hits[: self.hits_considered])
        if not candidates:
            return ExtractiveAnswer("", [], 0.0, list(asked.parts))
        idf = _idf(candidates)
        # The case names of the documents found (not their titles, which may hold a heading such as
        # "Trustee's Final Report": words a question may well be about).
        titles = sorted({str(c.hit.metadata.get("case_name") or "") for c in candidates} - {""})
        topics: dict[QuestionPart, list[str]] = {}
        for index, part in enumerate(asked.parts):
            # An elliptical part ("..., and by when?") is about the topic of the part before it.
            topics[part] = asked.topic_terms(part, titles) or (topics[asked.parts[index - 1]] if index else [])
        shortlisted = self._shortlist(topics, candidates, idf)
        embedder = self.embedder()
        # Embedded together, in one call per question: int8 activations are quantised per batch, so a
        # sentence's vector depends on its batch, and the same question must always get the same answer.
        sentence_vectors = embedder.embed_documents([_head(c.text) for c in shortlisted])
        chosen: list[tuple[Candidate, QuestionPart]] = []
        runners_up: list[tuple[Candidate, QuestionPart]] = []
        unanswered: list[QuestionPart] = []
        support = 0.0
        for index, part in enumerate(asked.parts):
            part_vector = embedder.embed_query(asked.without_names(part, titles))[0]
            scores = sentence_vectors @ part_vector
            scored = sorted(
                (
                    (self._score(part, topics[part], c, float(cosine), idf, asked.parts), c)
                    for c, cosine in zip(shortlisted, scores, strict=True)
                ),
                key=lambda pair: -pair[0],
            )
            if part.wants and not any(self._answers(part, topics[part], c, idf) for _, c in scored[: self.fact_window]):
                unanswered.append(part)
            fresh = [(s, c) for s, c in scored if not any(same_place(c, other) for other, _ in chosen + runners_up)]
            if not fresh:
                continue
            if index == 0:
                support = fresh[0][0]
            # The best sentence, and close runners-up that hold the kind of fact asked for; every part's
            # best comes before any runner-up, so that the sentence limit never drops a part's answer.
            best, *others = fresh[: 3 if index == 0 else 2]
            if better := self._closer_answer(part, fresh):
                best, others = better, [pair for pair in fresh[: 3 if index == 0 else 2] if pair is not better]
            chosen.append((best[1], part))
            runners_up.extend(
                (c, part)
                for s, c in others
                if s >= best[0] - self.weights.runner_up and (not part.wants or part.wants & c.facts)
            )
        quoted = self._with_neighbours(chosen + runners_up, candidates)[: self.max_sentences]
        citations: list[DraftCitation] = []
        lines: list[str] = []
        for marker, candidate in enumerate(quoted, 1):
            lines.append(f"“{candidate.text}” [{marker}]")
            citations.append(DraftCitation(marker, candidate.hit, candidate.span, verified=True))
        return ExtractiveAnswer("\n\n".join(lines), citations, support, unanswered)

    # --- scoring -------------------------------------------------------------------------------

    def _closer_answer(
        self, part: QuestionPart, scored: list[tuple[float, Candidate]]
    ) -> tuple[float, Candidate] | None:
        """A close runner-up that answers where the best sentence does not: one that holds the kind of fact
        asked for, and when a court's ruling is asked for, a ruling ("we dismiss the appeal") before a
        mere disposition ("vacating injunctive order" in a citation). ``None`` when the best answers."""
        best_score, best = scored[0]
        close = [pair for pair in scored[1:] if pair[0] >= best_score - self.weights.runner_up]
        if Fact.HOLDING in part.wants and Fact.HOLDING not in best.facts:
            rulings = [pair for pair in close if Fact.HOLDING in pair[1].facts]
            if rulings:
                return rulings[0]
        if part.wants and not part.wants & best.facts:
            holding = [pair for pair in close if part.wants & pair[1].facts]
            if holding:
                return holding[0]
        return None

    def _shortlist(
        self, topics: dict[QuestionPart, list[str]], candidates: list[Candidate], idf: dict[str, float]
    ) -> list[Candidate]:
        """The candidates worth embedding: the best by words, fact kind and rank for any part."""
        if len(candidates) <= self.shortlist:
            return candidates
        best: dict[int, float] = {}
        for part, wanted in topics.items():
            for index, candidate in enumerate(candidates):
                score = self._score(part, wanted, candidate, 0.0, idf, tuple(topics))
                best[index] = max(best.get(index, -math.inf), score)
        keep = sorted(best, key=lambda index: -best[index])[: self.shortlist]
        return [candidates[index] for index in sorted(keep)]

    def _score(
        self,
        part: QuestionPart,
        wanted: Sequence[str],
        candidate: Candidate,
        cosine: float,
        idf: dict[str, float],
        parts: Sequence[QuestionPart] = (),
    ) -> float:
        """How well ``candidate`` answers ``part`` (one of ``parts``), whose topic words are ``wanted``."""
        weights = self.weights
        score = weights.meaning * cosine + weights.words * _coverage(wanted, candidate, idf)
        if part.wants & candidate.facts:
            decisive = part.kind in _DECISIVE_KINDS or Fact.HOLDING in part.wants & candidate.facts
            score += weights.decisive_fact if decisive else weights.fact
        if asks_author(part.text) and AUTHOR_LINE.search(candidate.text):
            score += weights.decisive_fact  # "SELYA, Circuit Judge." answers who wrote the opinion
        score += weights.rank / (1 + candidate.rank)
        if candidate.in_chunk:
            score += weights.in_chunk
        if candidate.case.named_by(part):
            score += weights.named_case
        elif any(candidate.case.named_by(other) for other in parts if other is not part):
            score -= weights.other_case
        if part.set_aside & candidate.words:
            score -= weights.set_aside
        # A caption answers only who the parties, court and judge are; a form's question answers nothing.
        if (candidate.caption and not part.wants & {Fact.PERSON, Fact.PLACE}) or candidate.text.endswith("?"):
            score -= weights.caption
        return score

    def _answers(self, part: QuestionPart, wanted: Sequence[str], candidate: Candidate, idf: dict[str, float]) -> bool:
        """True when ``candidate`` holds the kind of fact ``part`` asks for. A datum (a date, an amount, a count)
        must sit in a sentence about the part's topic; a ruling must come from a court, not a party's paper.
        Other kinds of fact (a reason, a name) are often stated in the sentence next to the topic's."""
        found = part.wants & candidate.facts
        if not found:
            return False
        if part.kind in DATUM_KINDS:
            return _coverage(wanted, candidate, idf) >= self.min_fact_coverage
        if found <= RULINGS and Fact.HOLDING in part.wants:
            # A court's ruling in the case the question is about (the best hit's), or one on the question's
            # topic in another case.
            if str(candidate.hit.metadata.get("document_type", "")) in PARTY_PAPERS:
                return False
            # Another court's ruling does not say what the court asked about did; a ruling the question
            # already names ("how was the consolidated appeal resolved?") does not say how the matter came
            # out (but "did the court grant it?" is answered by "the court granted it").
            court = candidate.hit.metadata.get("court")
            if part.courts and court and court not in part.courts:
                return False
            if part.kind != "yes_no" and restates(candidate.text, part.text):
                return False
            return candidate.lead_document or _coverage(wanted, candidate, idf) >= self.min_ruling_coverage
        return True

    # --- the answer ----------------------------------------------------------------------------

    def _with_neighbours(
        self, chosen: list[tuple[Candidate, QuestionPart]], candidates: list[Candidate]
    ) -> list[Candidate]:
        """Each chosen sentence with the neighbour a reader needs: the one before a sentence that opens
        with "It" or mid-sentence, or that concludes ("Therefore, ...") what a *why* asks about; the one
        after a label ("Filed:"), a sentence that ends with a colon, or a claim chosen for a *why* that
        gives no reason itself (the next sentence usually does)."""
        by_page: dict[tuple[str, int], list[Candidate]] = {}
        for candidate in candidates:
            by_page.setdefault((candidate.hit.document_id, candidate.hit.page_start), []).append(candidate)
        result: list[Candidate] = []
        for candidate, part in chosen:
            siblings = by_page[(candidate.hit.document_id, candidate.hit.page_start)]
            position = siblings.index(candidate)
            before = siblings[position - 1] if position > 0 else None
            after = siblings[position + 1] if position + 1 < len(siblings) else None
            group = [candidate]
            if lead_in := _list_lead_in(siblings, position):
                group[:0] = lead_in
            elif before and (
                _PRONOUN_START.match(candidate.text)
                or LOWER_START.match(candidate.text)
                or (Fact.REASON in part.wants and _CONCLUSION.search(candidate.text))
            ):
                group.insert(0, before)
            unexplained = Fact.REASON in part.wants and Fact.REASON not in candidate.facts
            if after and (candidate.text.endswith(":") or len(candidate.text) < 40 or unexplained):
                group.append(after)
            elif not _SENTENCE_END.search(candidate.text) and (after is None or dangles(candidate.text)):
                # Cut by the page break (before the page's footnotes, when it has any).
                group.extend(self.sentences.next_page_opening(candidate))
            for member in group:
                if not any(same_place(member, other) for other in result):
                    result.append(member)
        return merge_adjacent(result)


_LIST_ITEM = re.compile(r"^\((?:[2-9]|1\d|[b-h])\)\s")
_LIST_START = re.compile(r"\((?:1|a)\)\s")
_LIST_REACH = 4
"""How many sentences back the first item of a list may be."""


def _list_lead_in(siblings: Sequence[Candidate], position: int) -> list[Candidate]:
    """The sentences from the one that opens a numbered list to just before ``siblings[position]``, when that
    is a later item of the list: "(3) neither of them is liable" needs "The parties have stipulated that: (1)".
    Empty when the sentence is no later list item, or the list's opening is not within reach."""
    if not _LIST_ITEM.match(siblings[position].text):
        return []
    for start in range(position - 1, max(position - 1 - _LIST_REACH, -1), -1):
        if _LIST_START.search(siblings[start].text):
            return list(siblings[start:position])
    return []


EMBEDDED_WORDS = 32
"""Words of a sentence compared in meaning with the question."""
_SENTENCE_END = re.compile(r"[.!?:;][\"”’)\]]*$")  # noqa: RUF001 - typographic quotes are real
_UNSEEN_IDF = 3.0
"""The weight of a question word that no candidate sentence holds: it counts against every sentence."""


def _head(text: str) -> str:
    """A sentence's first words, which carry its meaning; a long sentence costs the embedder far more."""
    words = text.split()
    return text if len(words) <= EMBEDDED_WORDS else " ".join(words[:EMBEDDED_WORDS])


def _coverage(wanted: Sequence[str], candidate: Candidate, idf: dict[str, float]) -> float:
    """The share of the ``wanted`` words that ``candidate`` holds, each weighted by its idf squared, so that
    the rare word that marks the passage ("bond") counts far above the common ones ("court", "order")."""
    total = sum(idf.get(word, _UNSEEN_IDF) ** 2 for word in wanted)
    shared = sum(idf[word] ** 2 for word in wanted if word in candidate.words)
    return shared / total if total else 0.0


def _idf(candidates: Sequence[Candidate]) -> dict[str, float]:
    """Inverse sentence frequency of each word over the candidate sentences."""
    frequency: Counter[str] = Counter()
    for candidate in candidates:
        frequency.update(candidate.words)
    count = len(candidates)
    return {word: math.log((count + 1) / (df + 0.5)) for word, df in frequency.items()}
