"""The one place that maps settings to concrete implementations, built lazily and once per process.

Nothing else imports a backend directly: the CLI, the HTTP app and the tests ask ``Components``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property, partial
from pathlib import Path

from ingest.chunking import Chunker
from ingest.ocr.processor import OcrProcessor
from ingest.pipeline import IngestPipeline
from ingest.ray_ingest import RayIngest
from service.backends.embedders import (
    ONNX_INT8_BACKEND,
    SENTENCE_TRANSFORMERS_BACKEND,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    load_tokenizer,
    max_sequence_tokens,
)
from service.backends.faiss_index import FaissIndex, IndexManifest
from service.backends.lexical.bm25 import Bm25Index
from service.backends.rate_limit import SHARED_FILE, RateLimiter, SharedRateLimiter
from service.backends.sql.answers import SqlAnswerStore
from service.backends.sql.api_keys import SqlKeyStore
from service.backends.sql.audit_log import SqlAuditLog
from service.backends.sql.store import SqlDocumentStore, make_engine
from service.backends.sql.threads import SqlThreadStore
from service.backends.sql.upload_jobs import SqlJobStore
from service.core.errors import InvalidInput
from service.core.seams import (
    AnswerStore,
    AuditLog,
    CitationIndex,
    DocumentStore,
    Embedder,
    Generator,
    JobStore,
    KeyStore,
    LexicalIndex,
    RateLimit,
    RecordIndex,
    Reranker,
    SummaryIndex,
    ThreadStore,
    VectorIndex,
)
from service.core.settings import EmbeddingSettings, Settings
from service.engine.answering.extractive import ExtractiveAnswerer
from service.engine.answering.prompts import Prompts, load_prompts
from service.engine.answering.qa import QaEngine
from service.engine.audit import Audit
from service.engine.documents.batch import BatchIngest
from service.engine.documents.jobs import JobRunner
from service.engine.documents.service import DocumentsService
from service.engine.entities import EntitiesService
from service.engine.feedback import AnswersService
from service.engine.record.citing import Authorities, find_citations
from service.engine.record.search import RecordSearch
from service.engine.retrieval.index_registry import IndexRegistry
from service.engine.retrieval.retriever import Retriever
from service.engine.summaries.service import SummariesService, summarise_parsed
from service.engine.threads import ThreadsService

HEADING_TOKENS = 32
"""Most tokens of section heading a chunk is embedded under (``ChunkingSettings.headings``)."""


class Components:
    """Lazily built, shared parts of docqa for one set of settings."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._ray_ingests: dict[str, RayIngest] = {}
        if embedder is not None:  # tests share one loaded model across many components
            self.__dict__["embedder"] = embedder
        self.indexes = IndexRegistry(self.index_dir, lambda: self.store, self._open_faiss, self._open_bm25)
        """Which index serves each collection (loaded lazily, reconciled with SQL)."""

    def close(self) -> None:
        """Save dirty indexes and release database connections and the LLM client's connections."""
        self.indexes.save_all()
        for ray_ingest in self._ray_ingests.values():
            ray_ingest.close()
        if "sql" in self.__dict__:
            self.sql.close()
        # Only backends that hold connections (OpenAIChatGenerator) have close(); it is not part of the seam.
        close_generator = getattr(self.__dict__.get("generator"), "close", None)
        if callable(close_generator):
            close_generator()

    @cached_property
    def sql(self) -> SqlDocumentStore:
        """The SQL database: the document store, and where API keys, upload jobs and the audit log live."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = SqlDocumentStore(make_engine(self.settings.resolved_database_url))
        store.create_schema()
        return store

    @property
    def store(self) -> DocumentStore:
        return self.sql

    @cached_property
    def embedder(self) -> Embedder:
        return build_embedder(self.settings.embedding, self.models_dir)

    @property
    def models_dir(self) -> Path:
        """Where exported embedding models are cached (absolute: Ray actors elsewhere read it too)."""
        return (self.settings.embedding.cache_dir or self.settings.data_dir / "models").resolve()

    @cached_property
    def chunker(self) -> Chunker:
        model_dir = self.settings.embedding.model_dir
        special_tokens = 2  # [CLS] and [SEP] count against the model's maximum
        limit = max_sequence_tokens(model_dir) - special_tokens
        chunking = self.settings.chunking
        budget = min(chunking.chunk_tokens, limit)
        return Chunker(
            load_tokenizer(model_dir),
            budget=budget,
            overlap=chunking.overlap_tokens,
            sections=chunking.sections,
            context_tokens=min(HEADING_TOKENS, limit - budget) if chunking.headings else 0,
        )

    @property
    def index_dir(self) -> Path:
        return self.settings.data_dir / "index"

    def manifest(self) -> IndexManifest:
        """What an index built with these settings records."""
        return IndexManifest(
            embedder=self.embedder.id,
            dimension=self.embedder.dimension,
            chunk_tokens=self.chunker.budget,
            overlap_tokens=self.chunker.overlap,
            sections=self.chunker.sections,
            headings=self.chunker.context_tokens > 0,
        )

    @property
    def repairs(self) -> list[str]:
        """Messages about indexes repaired from SQL at load (shown by the CLI and logged by the server)."""
        return self.indexes.repairs

    def index(self, collection: str) -> VectorIndex:
        """The collection's vector (FAISS) index, loaded once and reconciled with SQL (crash repair)."""
        return self.indexes.vector(collection)

    def lexical(self, collection: str) -> LexicalIndex:
        """The collection's lexical (BM25) index, loaded once and reconciled with SQL chunk text."""
        return self.indexes.lexical(collection)

    def indexes_ready(self, collection: str) -> bool:
        """Whether a search of ``collection`` has no index loading of its own to do (``IndexRegistry.ready``)."""
        return self.indexes.ready(collection)

    def prepare_indexes(self, collection: str) -> None:
        """Load, reload and build what ``indexes_ready`` found missing."""
        self.indexes.prepare(collection)

    def _open_faiss(self, collection: str) -> VectorIndex:
        return FaissIndex(self.index_dir, collection, self.manifest(), self.settings.index)

    def _open_bm25(self, collection: str) -> LexicalIndex:
        retrieval = self.settings.retrieval
        return Bm25Index(
            self.index_dir, collection, retrieval.bm25_k1, retrieval.bm25_b, profile_tokens=retrieval.profile_tokens
        )

    def pipeline(
        self, collection: str, extra_metadata: Mapping[str, str] | None = None, ray: str | None = None
    ) -> IngestPipeline:
        """An ingestion pipeline into ``collection``; ``extra_metadata`` is set on every document. With ``ray``
        (a cluster's address, or ``"local"`` for a Ray of this machine's own), files are read and embedded on
        Ray (``ingest.ray_ingest``); the writes stay in this process."""
        return IngestPipeline(
            self.store,
            self.index(collection),
            self.index_dir,
            lambda: self.embedder,
            self.chunker,
            self.settings.ingest,
            ocr=OcrProcessor(self.settings.ocr),
            extra_metadata=extra_metadata,
            lexical=self.lexical(collection),
            citations=find_citations,
            summarise=summarise_parsed,
            distributor=self.ray(ray) if ray else None,
        )

    def batch_ingest(
        self, collection: str, extra_metadata: Mapping[str, str] | None = None, ray: str | None = None
    ) -> BatchIngest:
        """A command-line batch into ``collection`` (on the Ray cluster at ``ray``, if given): the pipeline, then
        the audit of every document change. With ``ray``, the cluster is joined here, so a missing extra or an
        unreachable head is a ``DocqaError`` before any file is read."""
        if ray is not None:
            self.ray(ray).connect()
        return BatchIngest(self.pipeline(collection, extra_metadata, ray=ray), self.audit)

    def upload_pipeline(self, collection: str) -> IngestPipeline:
        """The pipeline of upload jobs: on the Ray cluster of ``DOCQA_RAY__ADDRESS`` when it is set."""
        return self.pipeline(collection, ray=self.settings.ray.address)

    def ray(self, address: str) -> RayIngest:
        """Ingestion on the Ray cluster at ``address`` (``"local"``: a Ray started here), one per process: it
        keeps its connection and embedding actors between batches."""
        if address not in self._ray_ingests:
            # A partial of a module-level function: it is pickled to the embedding actors, which build the model.
            factory = partial(build_embedder, self.settings.embedding, self.models_dir)
            self._ray_ingests[address] = RayIngest(self.settings.ray, factory, address)
        return self._ray_ingests[address]

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(
            self.store, self.index, lambda: self.embedder, self.lexical, self.settings.retrieval, lambda: self.reranker
        )

    @property
    def record_index(self) -> RecordIndex:
        """The full-text index of page words (in the SQL database, kept by the store)."""
        return self.sql.record_index

    @cached_property
    def record(self) -> RecordSearch:
        """Exhaustive search and search-term reports over a collection's pages."""
        return RecordSearch(lambda: self.record_index)

    @cached_property
    def authorities(self) -> Authorities:
        """The citation index's queries: citing filings, tables of authorities."""
        return Authorities(lambda: self.citation_index, self.store.pages, self.store.list_documents)

    @property
    def citation_index(self) -> CitationIndex:
        """The citations of every stored page (in the SQL database, kept by the store)."""
        return self.sql.citation_index

    @cached_property
    def reranker(self) -> Reranker | None:
        """The cross-encoder of ``DOCQA_RETRIEVAL__RERANK_MODEL_DIR``, or None when reranking is off."""
        model_dir = self.settings.retrieval.rerank_model_dir
        if model_dir is None:
            return None
        from service.backends.reranker import CrossEncoderReranker

        return CrossEncoderReranker(model_dir, threads=self.settings.embedding.threads)

    @cached_property
    def prompts(self) -> Prompts:
        """Templates from the prompts folder, checked (a bad template stops the start-up)."""
        return load_prompts(self.settings.prompts_dir)

    @cached_property
    def generator(self) -> Generator | None:
        """The configured LLM, or None for the extractive mode."""
        llm = self.settings.llm
        if llm.backend == "extractive":
            return None
        if not llm.model:
            raise InvalidInput(f"DOCQA_LLM__MODEL must name the model for the {llm.backend} backend")
        if llm.backend == "openai":
            from service.backends.generators.openai_chat import OpenAIChatGenerator

            if not llm.base_url:
                raise InvalidInput(
                    "DOCQA_LLM__BASE_URL must point at the OpenAI-compatible server, e.g. http://vllm:8000/v1"
                )
            return OpenAIChatGenerator(llm)
        from service.backends.generators.transformers_local import TransformersGenerator

        return TransformersGenerator(llm)

    @cached_property
    def qa(self) -> QaEngine:
        return QaEngine(
            self.retriever,
            self.store,
            self.generator,
            self.prompts,
            self.settings,
            ExtractiveAnswerer(lambda: self.embedder, pages=self.store.get_page),
        )

    @cached_property
    def upload_jobs(self) -> JobStore:
        return SqlJobStore(self.sql)

    @cached_property
    def thread_store(self) -> ThreadStore:
        return SqlThreadStore(self.sql)

    @cached_property
    def threads(self) -> ThreadsService:
        """Saved conversation threads, walled and audited."""
        return ThreadsService(lambda: self.thread_store, self.audit)

    @cached_property
    def answer_store(self) -> AnswerStore:
        return SqlAnswerStore(self.sql)

    @cached_property
    def answers(self) -> AnswersService:
        """Every answer kept once for feedback, the feedback and its export, walled and audited."""
        return AnswersService(lambda: self.answer_store, self.audit, lambda: self.prompts)

    @cached_property
    def keys(self) -> KeyStore:
        return SqlKeyStore(self.sql, self.settings.server.open_when_all_keys_revoked)

    @cached_property
    def audit_log(self) -> AuditLog:
        return SqlAuditLog(self.sql, self.settings.data_dir / "audit.key")

    def documents(self, jobs: JobRunner | None = None) -> DocumentsService:
        """Listing, pages, page views, deletes and (with ``jobs``, the server's job runner) uploads."""
        return DocumentsService(
            lambda: self.store,
            self.pipeline,
            self.audit,
            self.settings.data_dir,
            self.settings.ingest.max_file_mb,
            jobs,
        )

    def entities(self, documents: DocumentsService | None = None) -> EntitiesService:
        """The entity index's queries (walls through ``documents``, the server's own when given)."""
        return EntitiesService(lambda: self.store, documents or self.documents(), self.audit)

    def summaries(self, documents: DocumentsService | None = None) -> SummariesService:
        """Document summaries and collection chronologies (walls through ``documents``, the server's own when
        given)."""
        return SummariesService(
            lambda: self.store,
            lambda: self.summary_index,
            documents or self.documents(),
            self.audit,
            llm=lambda: (self.generator, self.prompts, self.settings.llm.answer_tokens),
        )

    @property
    def summary_index(self) -> SummaryIndex:
        """Each document's summary and dated events (in the SQL database, kept by the store)."""
        return self.sql.summary_index

    @cached_property
    def audit(self) -> Audit:
        """What every action records, into ``audit_log``."""
        return Audit(lambda: self.audit_log)


def build_embedder(settings: EmbeddingSettings, cache_dir: Path) -> Embedder:
    """The embedder named by ``settings.backend``; ``cache_dir`` holds ONNX exports (``data_dir / "models"``)."""
    if settings.backend == ONNX_INT8_BACKEND:
        return OnnxEmbedder(settings.model_dir, cache_dir, batch_size=settings.batch_size, threads=settings.threads)
    if settings.backend == SENTENCE_TRANSFORMERS_BACKEND:
        return SentenceTransformerEmbedder(settings.model_dir, batch_size=settings.batch_size, threads=settings.threads)
    raise ValueError(
        f"embedding.backend: unknown backend {settings.backend!r}; "
        f"use {ONNX_INT8_BACKEND!r} or {SENTENCE_TRANSFORMERS_BACKEND!r}"
    )


def rate_limiter(settings: Settings, workers: int) -> RateLimit:
    """The limiter for a server of ``workers`` processes: in memory for one, shared through
    ``<data_dir>/ratelimit.sqlite`` for several."""
    per_minute = settings.server.rate_limit_per_minute
    if workers <= 1:
        return RateLimiter(per_minute)
    return SharedRateLimiter(settings.data_dir / SHARED_FILE, per_minute)
