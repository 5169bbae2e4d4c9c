"""The question-answering flow: retrieve -> refuse or budget the context -> generate -> verify citations
-> check claims.

``QaEngine.stream`` yields events ``("delta", str)`` while the answer is written, then
``("citations", list[Citation])``, ``("claims", list[ClaimCheck])`` and ``("done", AnswerResult)``;
``ask`` consumes the stream.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn

from service.core.access import Principal
from service.core.answers import AnswerResult, Citation
from service.core.domain import AnswerState, SearchHit
from service.core.errors import BadRequest, DocqaError, InvalidInput
from service.core.seams import ChatMessage, DocumentStore, Generator
from service.core.settings import Settings
from service.engine.answering.authors import MAX_AUTHOR_PAGES, asks_author, has_author_line
from service.engine.answering.candidates import names_case
from service.engine.answering.citations import DraftCitation, MarkerFilter, check_citations
from service.engine.answering.claims import WITHHELD_REASON, answer_support, check_claims, low_support_message
from service.engine.answering.extractive import DATUM_KINDS, ExtractiveAnswerer
from service.engine.answering.facts import Fact
from service.engine.answering.prompts import REFUSAL_SENTENCE, Prompts
from service.engine.answering.question import Question, analyse
from service.engine.answering.snapshot import PageSnapshot
from service.engine.retrieval.retriever import Retriever

NOT_FOUND_MESSAGE = "Not found in these documents"
"""How every refusal's ``message`` begins; the rest says why, and what was searched."""


Event = tuple[str, Any]
NAMED_CASE_HITS = 3
"""Passages looked up for a case that a part of the question names and the question's own hits miss."""


def is_refusal(answer: str) -> bool:
    """True when the model answered with the refusal sentence (case and punctuation aside)."""

    def simplify(text: str) -> str:
        return re.sub(r"[^a-z ]", "", text.lower()).strip()

    return simplify(REFUSAL_SENTENCE) in simplify(answer)


class QaEngine:
    """Answers questions over one collection at a time."""

    def __init__(
        self,
        retriever: Retriever,
        store: DocumentStore,
        generator: Generator | None,
        prompts: Prompts,
        settings: Settings,
        answerer: ExtractiveAnswerer,
    ) -> None:
        self.retriever = retriever
        self.store = store
        self.generator = generator
        self.prompts = prompts
        self.settings = settings
        self.answerer = answerer

    @property
    def mode(self) -> str:
        return self.generator.mode if self.generator else "extractive"

    @property
    def model(self) -> str:
        return self.generator.model if self.generator else "none"

    def ask(
        self,
        question: str,
        collection: str,
        k: int,
        filters: Mapping[str, str] | None = None,
        *,
        principal: Principal | None = None,
    ) -> AnswerResult:
        """The whole answer at once."""
        result: AnswerResult | None = None
        for kind, payload in self.stream(question, collection, k, filters, principal=principal):
            if kind == "done":
                result = payload
        assert result is not None
        return result

    def stream(
        self,
        question: str,
        collection: str,
        k: int,
        filters: Mapping[str, str] | None = None,
        *,
        principal: Principal | None = None,
    ) -> Iterator[Event]:
        """Answer events as they happen; the last is ``("done", AnswerResult)``.

        ``principal`` is who asks: retrieval refuses a collection it may not read (see ``Retriever.search``).
        """
        started = time.perf_counter()
        question = question.strip()
        if not question:
            raise InvalidInput("question is empty; ask something about the documents", detail={"field": "question"})
        hits = self.retriever.search(question, collection, k, filters, principal=principal)
        asked = analyse(question)
        hits = self._with_named_cases(asked, hits, collection, filters, principal)
        # Read each retrieved page once, now: a document deleted from here on does not fail the answer,
        # and one deleted since retrieval drops out of it.
        pages = PageSnapshot(self.store.get_page)
        hits = pages.present(hits)
        retrieved_at = time.perf_counter()
        result = AnswerResult(
            question=question,
            collection=collection,
            answer="",
            citations=[],
            state=AnswerState.ANSWERED,
            message=None,
            closest=[],
            mode=self.mode,
            model=self.model,
            prompt_version=self.prompts.version,
            retrieved=list(hits),
        )
        threshold = self.settings.retrieval.min_relevance
        # The best cosine, not the first hit's: fused or reranked order need not follow the cosine.
        if max((hit.relevance for hit in hits), default=-1.0) < threshold:
            self._refuse(result, hits, "no passage is close enough to the question", filters)
            yield ("delta", result.answer)
        elif self.settings.answers.check_names and self.store.missing_names(collection, asked.names):
            # What is missing is not repeated: a response never echoes the caller's words (see the walls tests).
            reason = "no document mentions the case, party, docket number or judge that the question names"
            self._refuse(result, hits, reason, filters)
            yield ("delta", result.answer)
        elif self.generator is None:
            self._extract(result, asked, hits, filters, pages)
            yield ("delta", result.answer)
        else:
            yield from self._generate(result, question, hits, self.generator, filters, pages)
        finished = time.perf_counter()
        result.timings = {
            "retrieve_ms": round(1000 * (retrieved_at - started), 2),
            "generate_ms": round(1000 * (finished - retrieved_at), 2),
            "total_ms": round(1000 * (finished - started), 2),
        }
        yield ("citations", result.citations)
        yield ("claims", result.claims)
        yield ("done", result)

    def _with_named_cases(
        self,
        asked: Question,
        hits: list[SearchHit],
        collection: str,
        filters: Mapping[str, str] | None,
        principal: Principal | None,
    ) -> list[SearchHit]:
        """``hits``, with the best passages of a case that the question names and none of the hits comes
        from, or of each case a question about several names ("who was Clerk in Mielo ..., and who in City
        of Hoboken ...?"): they take the place of the last hits the answer reads, so the answer can quote
        every case asked about."""
        read = self.answerer.hits_considered
        cases = {(part.case_words, part.dockets): part for part in asked.parts if part.case_words or part.dockets}
        naming = list(cases.values())
        for part in naming:
            # A question about two cases looks each up: one case's passages outrank the other's.
            if len(naming) == 1 and any(names_case(hit, part) for hit in hits[:read]):
                continue
            found = self.retriever.search(part.text, collection, NAMED_CASE_HITS, filters, principal=principal)
            seen = {hit.chunk_id for hit in hits[:read]}
            extra = [hit for hit in found if names_case(hit, part) and hit.chunk_id not in seen]
            if extra:
                kept = [hit for hit in hits if hit.chunk_id not in {other.chunk_id for other in extra}]
                hits = kept[: read - len(extra)] + extra + kept[read - len(extra) :]
        return hits

    def _with_author_pages(self, asked: Question, hits: Sequence[SearchHit], pages: PageSnapshot) -> list[SearchHit]:
        """``hits``, with the pages of the best hit's document that open an opinion under its author's name
        ("SELYA, Circuit Judge.") next after the best hit, when the question asks who wrote an opinion: those
        lines are short and off the question's topic, so retrieval rarely ranks them. Each added page is a
        passage of the whole page (``chunk_id`` -1: it is no stored chunk)."""
        if not hits or not asks_author(asked.text):
            return list(hits)
        lead = hits[0]
        present = {(hit.document_id, hit.page_start) for hit in hits[: self.answerer.hits_considered]}
        authored = [
            page
            for page in self.store.pages(lead.document_id)
            if (lead.document_id, page.number) not in present and has_author_line(page.text)
        ][:MAX_AUTHOR_PAGES]
        added = [
            dataclasses.replace(
                lead,
                chunk_id=-1,
                page_start=page.number,
                page_end=page.number,
                char_start=page.char_start,
                char_end=page.char_end,
                text=page.text,
            )
            for page in authored
        ]
        return [lead, *pages.present(added), *hits[1:]]

    def _refuse(
        self, result: AnswerResult, hits: Sequence[SearchHit], reason: str, filters: Mapping[str, str] | None
    ) -> None:
        """Make ``result`` a refusal that says why and what was searched, offering the closest passages."""
        documents = self.store.collections().get(result.collection, 0)
        searched = f"searched {documents} document{'' if documents == 1 else 's'} in “{result.collection}”"
        if filters:  # the fields only: values are the caller's words, never echoed
            searched += " filtered on " + ", ".join(sorted(filters))
        result.state = AnswerState.NOT_FOUND
        result.answer = REFUSAL_SENTENCE
        result.message = f"{NOT_FOUND_MESSAGE}: {reason} ({searched})."
        result.citations = []
        result.closest = list(hits[:3])

    def _extract(
        self,
        result: AnswerResult,
        asked: Question,
        hits: Sequence[SearchHit],
        filters: Mapping[str, str] | None,
        pages: PageSnapshot,
    ) -> None:
        """The extractive answer, refused or marked ``low_support`` by how well its sentences answer."""
        answerer = self.answerer
        if answerer.pages is not None:  # its pages as this answer first read them
            answerer = dataclasses.replace(answerer, pages=pages.page)
        found = answerer.answer(asked, self._with_author_pages(asked, hits, pages))
        limits = self.settings.answers
        first = asked.parts[0]
        if not found.citations or found.support < limits.min_support:
            self._refuse(result, hits, "no sentence of the closest passages answers the question", filters)
            return
        if first in found.unanswered_parts and first.kind in DATUM_KINDS:
            kinds = " or ".join(sorted(fact.value for fact in first.wants))
            self._refuse(result, hits, f"no passage close to the question states the {kinds} it asks for", filters)
            return
        if first in found.unanswered_parts and Fact.HOLDING in first.wants:
            reason = "no ruling by a court on what the question asks is in the closest passages"
            self._refuse(result, hits, reason, filters)
            return
        result.answer = found.text
        result.citations = self._citations(found.citations, pages)
        if found.support < limits.warn_support:
            result.state = AnswerState.LOW_SUPPORT
            result.message = (
                "The quoted passages are only loosely related to the question; check them before relying on them."
            )
        elif found.unanswered_parts:
            result.state = AnswerState.LOW_SUPPORT
            # Which parts by position, not by their words: a response never echoes the caller's words.
            which = ", ".join(str(asked.parts.index(part) + 1) for part in found.unanswered_parts)
            result.message = (
                f"No passage found answers part {which} of the {len(asked.parts)} parts of the question; "
                "check the quoted passages before relying on them."
            )

    def _generate(
        self,
        result: AnswerResult,
        question: str,
        hits: Sequence[SearchHit],
        generator: Generator,
        filters: Mapping[str, str] | None,
        pages: PageSnapshot,
    ) -> Iterator[Event]:
        messages, sources, prompt_tokens = self.build_prompt(question, hits, generator)
        parts: list[str] = []
        # Streamed text already lacks the markers the final answer drops: a client that only reads
        # the deltas (an OpenAI SDK stream) must never show a citation that does not exist.
        markers = MarkerFilter(len(sources))
        for delta in generator.stream(messages, self.settings.llm.answer_tokens):
            parts.append(delta)
            if shown := markers.feed(delta):
                yield ("delta", shown)
        if rest := markers.flush():
            yield ("delta", rest)
        raw = "".join(parts)
        result.usage = {"prompt_tokens": prompt_tokens, "completion_tokens": generator.count_tokens(raw)}
        if is_refusal(raw):
            self._refuse(result, hits, "the model found no answer in the passages it was given", filters)
            return
        checked = check_citations(raw, sources)
        result.answer = checked.answer
        result.citations = self._citations(checked.citations, pages)
        result.dropped_markers = checked.dropped_markers
        result.claims = check_claims(checked.answer, sources)
        support = answer_support(result.claims)
        if support is AnswerState.NOT_FOUND:
            self._refuse(result, hits, WITHHELD_REASON, filters)
        elif support is AnswerState.LOW_SUPPORT:
            result.state = support
            result.message = low_support_message(result.claims)

    def build_prompt(
        self, question: str, hits: Sequence[SearchHit], generator: Generator
    ) -> tuple[list[ChatMessage], list[SearchHit], int]:
        """Fit system prompt, question, sources and the answer reserve inside the context window.

        Sources are added in rank order; the first that does not fit ends the list, so the
        lowest-ranked chunks are the ones dropped. Returns ``(messages, sources, prompt_tokens)``.
        """
        system = self.prompts.render_system()
        skeleton = self.prompts.render_user([], question)
        reserve = self.settings.llm.answer_tokens
        overhead = 16  # chat-template tokens around each message
        used = generator.count_tokens(system) + generator.count_tokens(skeleton) + 2 * overhead
        available = generator.context_window - reserve - used
        sources: list[SearchHit] = []
        blocks: list[str] = []
        costs: list[int] = []
        for hit in hits:
            block = self.prompts.render_source(len(sources) + 1, hit.title, hit.page_start, hit.text)
            costs.append(generator.count_tokens(block) + 2)
            if costs[-1] > available:
                break
            available -= costs[-1]
            sources.append(hit)
            blocks.append(block)
        if not sources:
            self._no_room(question, generator, available, costs[0] if costs else 0)
        user = self.prompts.render_user(blocks, question)
        messages = [ChatMessage("system", system), ChatMessage("user", user)]
        prompt_tokens = generator.context_window - reserve - available
        return messages, sources, prompt_tokens

    def _no_room(self, question: str, generator: Generator, available: int, best_cost: int) -> NoReturn:
        """Say why not even the best source fits: the question's length, or a window set too small."""
        window, reserve = generator.context_window, self.settings.llm.answer_tokens
        if best_cost <= available + generator.count_tokens(question):
            raise BadRequest(
                f"the question leaves no room for any source in the model's context window ({window} tokens); "
                "ask a shorter question",
                detail={"field": "question"},
            )
        # The question is not at fault: the best source alone is larger than the settings allow.
        raise DocqaError(
            f"the best source needs {best_cost} tokens but the model's context window ({window} tokens, "
            f"{reserve} reserved for the answer) leaves {max(available, 0)} after the prompt; raise "
            "DOCQA_LLM__CONTEXT_WINDOW to the model's real window, or lower DOCQA_LLM__ANSWER_TOKENS "
            "or DOCQA_CHUNKING__CHUNK_TOKENS",
            detail={"context_window": window, "answer_tokens": reserve, "source_tokens": best_cost},
        )

    def _citations(self, drafts: Sequence[DraftCitation], pages: PageSnapshot) -> list[Citation]:
        from ingest.legal.paragraphs import paragraph_at

        citations: list[Citation] = []
        for draft in drafts:
            hit = draft.hit
            page = pages.page(hit.document_id, hit.page_start)  # held since retrieval: never gone
            page_char_start = draft.char_start - page.char_start
            citations.append(
                Citation(
                    marker=draft.marker,
                    document_id=hit.document_id,
                    source=hit.source,
                    title=hit.title,
                    page=page.number,
                    page_label=page.label,
                    paragraph=paragraph_at(page.text, page_char_start),
                    char_start=draft.char_start,
                    char_end=draft.char_end,
                    page_char_start=page_char_start,
                    page_char_end=draft.char_end - page.char_start,
                    quote=draft.quote,
                    verified=draft.verified,
                    ocr_confidence=page.ocr_confidence,
                )
            )
        return citations
