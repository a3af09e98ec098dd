"""Chroma, embedded or client/server, behind llama-index's ChromaVectorStore.

Three collections live side by side: ``<name>`` holds passages (text, vector,
metadata), ``<name>-docs`` holds one record per article (content hash,
title, outlet, date, passage count) and ``<name>-meta`` a write token (see
below). The document records make ingestion incremental without scanning every passage, and they live in Chroma itself so
the server mode needs no second storage. The passages collection's metadata
records which embedding model built it: vectors from two models are not
comparable, so a mismatch must stop queries rather than return nonsense.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from ..errors import EmbeddingMismatch, IndexCorrupted, IndexMissing, StoreUnavailable
from ..settings import Settings

log = logging.getLogger(__name__)

DOC_SUFFIX = "-docs"

# A third collection holds one record whose token changes on every write, by any
# process. Readers that cache derived data (the BM25 index) compare that token
# (one read by id) instead of re-reading every document record on each query,
# which costs ~0.7 s at 100k passages.
META_SUFFIX = "-meta"
GENERATION_ID = "generation"


def _client(settings: Settings, create: bool):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as exc:  # connection refused, DNS, TLS...
            raise StoreUnavailable(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}: {exc}",
                hint="start it (`chroma run --path DIR --port N`) or unset ASSISTANT_CHROMA_HOST to use the embedded index",
            ) from exc
    path = settings.index_dir
    if not create and not (path / "chroma.sqlite3").is_file():
        raise IndexMissing(f"no index at {path}", hint="build it with `assistant ingest corpus/`")
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # sqlite "file is not a database", schema errors, ...
        raise IndexCorrupted(
            f"the index at {path} cannot be opened: {exc}",
            hint="rebuild it: `assistant ingest --rebuild corpus/` (or delete the directory and ingest again)",
        ) from exc


class Store:
    """Passages and document records for one collection name."""

    def __init__(self, settings: Settings, embed_model_id: str, *, create: bool = False):
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.settings = settings
        self.embed_model_id = embed_model_id
        self.client = _client(settings, create)
        name = settings.collection
        try:
            if create:
                self.passages = self.client.get_or_create_collection(
                    name, metadata={"hnsw:space": "cosine", "embed_model": embed_model_id}, embedding_function=None
                )
                self.docs = self.client.get_or_create_collection(name + DOC_SUFFIX, embedding_function=None)
            else:
                self.passages = self.client.get_collection(name, embedding_function=None)
                self.docs = self.client.get_collection(name + DOC_SUFFIX, embedding_function=None)
            # Created on open too: indexes built before it existed gain it on first use.
            self.meta = self.client.get_or_create_collection(name + META_SUFFIX, embedding_function=None)
        except Exception as exc:
            if not create and ("does not exist" in str(exc).lower() or "not found" in str(exc).lower()):
                raise IndexMissing(
                    f"the index has no collection '{name}'", hint="build it with `assistant ingest corpus/`"
                ) from exc
            if settings.chroma_host:
                raise StoreUnavailable(f"Chroma server error: {exc}", hint="check that the Chroma server is running") from exc
            raise IndexCorrupted(
                f"the index at {settings.index_dir} cannot be read: {exc}",
                hint="rebuild it: `assistant ingest --rebuild corpus/`",
            ) from exc
        self.vector_store = ChromaVectorStore(chroma_collection=self.passages)
        built_with = (self.passages.metadata or {}).get("embed_model")
        if built_with and built_with != embed_model_id:
            raise EmbeddingMismatch(
                f"the index was built with embedding model '{built_with}' but '{embed_model_id}' is configured",
                hint="rebuild it with `assistant ingest --rebuild corpus/` or set ASSISTANT_EMBEDDING_BACKEND / ASSISTANT_EMBEDDING_MODEL back",
            )

    def generation(self) -> str:
        """A token that changes whenever anyone writes to this collection ("" before the first write)."""
        got = self.meta.get(ids=[GENERATION_ID], include=["metadatas"])
        return str((got["metadatas"][0] or {}).get("token", "")) if got["ids"] else ""

    def _wrote(self) -> None:
        """Called after every write, so a reader that sees the new token also sees the data."""
        self.meta.upsert(ids=[GENERATION_ID], embeddings=[[0.0]], metadatas=[{"token": uuid.uuid4().hex}])

    # --- reset -------------------------------------------------------------
    @classmethod
    def drop(cls, settings: Settings) -> None:
        """Delete the collections (used by --rebuild)."""
        client = _client(settings, create=True)
        for name in (settings.collection, settings.collection + DOC_SUFFIX, settings.collection + META_SUFFIX):
            try:
                client.delete_collection(name)
            except Exception:  # absent already
                pass

    # --- documents ---------------------------------------------------------
    def doc_records(self) -> dict[str, dict[str, Any]]:
        got = self.docs.get(include=["metadatas"])
        return {i: (m or {}) for i, m in zip(got["ids"], got["metadatas"])}

    def doc_record(self, doc_id: str) -> dict[str, Any] | None:
        got = self.docs.get(ids=[doc_id], include=["metadatas"])
        return (got["metadatas"][0] or {}) if got["ids"] else None

    def upsert_doc(self, doc_id: str, metadata: dict[str, Any], text: str) -> None:
        """Store the document record; its Chroma "document" is the cleaned article text
        (passage offsets index into it, so a UI can show a passage in context)."""
        clean = {k: v for k, v in metadata.items() if v is not None}
        # Chroma requires a vector per record; a document record needs none.
        self.docs.upsert(ids=[doc_id], embeddings=[[0.0]], metadatas=[clean], documents=[text])
        self._wrote()

    def article_text(self, doc_id: str) -> str | None:
        got = self.docs.get(ids=[doc_id], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def delete_doc(self, doc_id: str) -> None:
        self.passages.delete(where={"doc_id": doc_id})
        self.docs.delete(ids=[doc_id])
        self._wrote()

    # --- passages ------------------------------------------------------------
    def passage_ids(self, doc_id: str) -> set[str]:
        return set(self.passages.get(where={"doc_id": doc_id}, include=[])["ids"])

    def delete_passages(self, ids: list[str]) -> None:
        if ids:
            self.passages.delete(ids=ids)
            self._wrote()

    def count(self) -> int:
        return self.passages.count()

    def doc_count(self) -> int:
        """Number of documents, without reading their records (health is polled)."""
        return self.docs.count()

    def all_passages(self, batch: int = 5000) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Every passage id, text and metadata (for the lexical index), paged to bound memory spikes."""
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        total = self.passages.count()
        for offset in range(0, total, batch):
            got = self.passages.get(include=["documents", "metadatas"], limit=batch, offset=offset)
            ids.extend(got["ids"])
            texts.extend(got["documents"])
            metas.extend(got["metadatas"])
        return ids, texts, metas

    def get(self, ids: list[str], with_embeddings: bool = False) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        include = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        got = self.passages.get(ids=ids, include=include)
        out: dict[str, dict[str, Any]] = {}
        for n, pid in enumerate(got["ids"]):
            out[pid] = {"text": got["documents"][n], "metadata": got["metadatas"][n]}
            if with_embeddings:
                out[pid]["embedding"] = list(got["embeddings"][n])
        return out
