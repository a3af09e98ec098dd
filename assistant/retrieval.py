"""Hybrid retrieval: dense (Chroma) + lexical (bm25s, Snowball-stemmed), fused by weighted RRF.

Plain reciprocal-rank fusion hurt English questions here: English words do
not match French text, so BM25 ranks noise and RRF gives that noise the same
vote as the dense ranking. The "language-aware" fusion lowers BM25's vote
when the question's language differs from the passage's, which keeps the
exact-name and number matches BM25 is good at (names are spelled alike in
both languages) without letting it outvote the cross-lingual embedder.
The weights were chosen by measurement: docs/decisions/0003-fusion.md.
"""

from __future__ import annotations

import logging
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters, VectorStoreQuery

from .ingest.pipeline import date_key
from .schemas import Filters, RetrievedPassage

log = logging.getLogger(__name__)

RRF_K = 60
CROSS_LINGUAL_BM25_WEIGHT = 0.25
_STEMMERS = {"fr": "french", "en": "english", "de": "german", "es": "spanish", "it": "italian"}
_STOPWORDS = {"fr": "fr", "en": "en", "de": "de", "es": "es", "it": "it"}


def _range_bounds(filters: Filters) -> tuple[int | None, int | None]:
    low = date_key(filters.date_from) if filters.date_from else None
    high = date_key(filters.date_to) if filters.date_to else None
    if high is not None:
        # "2018-08" as an upper bound means the whole month: 20180800 → 20180899
        year, rest = divmod(high, 10000)
        month, day = divmod(rest, 100)
        if month == 0:
            high = year * 10000 + 1299
        elif day == 0:
            high = year * 10000 + month * 100 + 99
    return low, high


def to_metadata_filters(filters: Filters | None) -> MetadataFilters | None:
    if filters is None or filters.is_empty():
        return None
    parts: list[MetadataFilter] = []
    if filters.outlets:
        parts.append(MetadataFilter(key="outlet", value=list(filters.outlets), operator=FilterOperator.IN))
    if filters.doc_ids:
        parts.append(MetadataFilter(key="doc_id", value=list(filters.doc_ids), operator=FilterOperator.IN))
    low, high = _range_bounds(filters)
    if low is not None:
        parts.append(MetadataFilter(key="date_key", value=low, operator=FilterOperator.GTE))
    if high is not None:
        parts.append(MetadataFilter(key="date_key", value=high, operator=FilterOperator.LTE))
    return MetadataFilters(filters=parts) if parts else None


def matches(metadata: dict[str, Any], filters: Filters | None) -> bool:
    """The same restriction as ``to_metadata_filters``, for the in-memory lexical index."""
    if filters is None or filters.is_empty():
        return True
    if filters.outlets and metadata.get("outlet") not in filters.outlets:
        return False
    if filters.doc_ids and metadata.get("doc_id") not in filters.doc_ids:
        return False
    low, high = _range_bounds(filters)
    if low is not None or high is not None:
        key = metadata.get("date_key")
        if key is None or (low is not None and key < low) or (high is not None and key > high):
            return False
    return True


class LexicalIndex:
    """bm25s over every passage, rebuilt lazily when the store's content changes."""

    def __init__(self, store, lang: str = "fr"):
        self.store = store
        self.lang = lang
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._token: str | None = None
        # (bm25 retriever or None, passage ids, metadatas): swapped as one object so a
        # search running during a rebuild never pairs new ids with an old index.
        self._state: tuple[Any, list[str], list[dict[str, Any]]] = (None, [], [])

    def _stemmer(self):
        import Stemmer

        return Stemmer.Stemmer(_STEMMERS.get(self.lang, "french"))

    def _tokenize(self, texts: list[str]):
        import bm25s

        return bm25s.tokenize(texts, stopwords=_STOPWORDS.get(self.lang, "fr"), stemmer=self._stemmer(), show_progress=False)

    def refresh(self) -> None:
        """Make the next search see the store's current content.

        Every write, by any process, changes ``store.generation()``: one read
        by id per query (~1 ms) instead of re-reading every document record
        (~0.7 s at 100k passages), and writes by another process sharing a
        Chroma server are seen by the very next query.
        """
        token = self.store.generation()
        if self._signature is not None and token == self._token:
            return
        import bm25s

        with self._lock:
            token = self.store.generation()  # again: another thread may have rebuilt meanwhile
            if self._signature is not None and token == self._token:
                return
            # Document records carry content hashes: they change whenever any
            # passage does (even when the count does not).
            records = self.store.doc_records()
            signature = (self.store.count(), hash(tuple(sorted((k, v.get("hash")) for k, v in records.items()))))
            self._token = token
            if signature == self._signature:
                return
            ids, texts, metas = self.store.all_passages()
            retriever = None
            if texts:
                retriever = bm25s.BM25()
                retriever.index(self._tokenize(texts), show_progress=False)
            self._state = (retriever, ids, metas)
            self._signature = signature

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        self.refresh()
        bm25, ids, metas = self._state
        if bm25 is None or not ids:
            return []
        tokens = self._tokenize([query])
        if not tokens.vocab:
            return []
        # Filter after scoring: ask for more when filtering so k survive.
        want = len(ids) if (filters and not filters.is_empty()) else min(k, len(ids))
        try:
            docs, scores = bm25.retrieve(tokens, k=want, show_progress=False)
        except Exception as exc:  # a query made only of unknown tokens
            log.debug("bm25 retrieve failed: %s", exc)
            return []
        out: list[tuple[str, float]] = []
        for idx, score in zip(docs[0], scores[0]):
            if score <= 0:
                continue
            if not matches(metas[int(idx)], filters):
                continue
            out.append((ids[int(idx)], float(score)))
            if len(out) >= k:
                break
        return out


@dataclass
class RetrievalOutcome:
    passages: list[RetrievedPassage]
    best_dense: float  # best cosine similarity among dense candidates (abstention evidence)


class HybridRetriever:
    def __init__(self, store, embed_model, *, candidates: int, fusion: str, corpus_lang: str = "fr"):
        self.store = store
        self.embed_model = embed_model
        self.candidates = candidates
        self.fusion = fusion
        self.lexical = LexicalIndex(store, corpus_lang)
        # BM25 runs beside the query embedding and the dense search; both spend their time
        # in numpy/Chroma code that releases the GIL (100k passages: p95 51 -> 36 ms, see
        # docs/performance.md). Several workers so concurrent askers do not queue.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bm25")

    def dense(self, query: str, k: int, filters: Filters | None) -> list[tuple[str, float, Any]]:
        vector = self.embed_model.get_query_embedding(query)
        result = self.store.vector_store.query(
            VectorStoreQuery(query_embedding=vector, similarity_top_k=k, filters=to_metadata_filters(filters))
        )
        out = []
        for node, sim in zip(result.nodes or [], result.similarities or []):
            # ChromaVectorStore reports exp(-distance); with cosine space distance = 1 - cos.
            cosine = 1.0 + math.log(max(sim, 1e-12))
            out.append((node.node_id, cosine, node))
        return out

    def retrieve(self, query: str, top_k: int, filters: Filters | None = None, query_lang: str = "en") -> RetrievalOutcome:
        pending = None if self.fusion == "dense" else self._pool.submit(self.lexical.search, query, self.candidates, filters)
        dense = self.dense(query, self.candidates, filters)
        lexical = pending.result() if pending is not None else []
        dense_rank = {pid: r for r, (pid, _, _) in enumerate(dense)}
        dense_score = {pid: s for pid, s, _ in dense}
        lex_rank = {pid: r for r, (pid, _) in enumerate(lexical)}
        nodes = {pid: node for pid, _, node in dense}
        missing = [pid for pid in lex_rank if pid not in nodes]
        fetched = self.store.get(missing)

        def meta_of(pid: str) -> dict[str, Any]:
            return nodes[pid].metadata if pid in nodes else fetched[pid]["metadata"]

        def text_of(pid: str) -> str:
            return nodes[pid].get_content() if pid in nodes else fetched[pid]["text"]

        fused: dict[str, float] = {}
        for pid, rank in dense_rank.items():
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
        for pid, rank in lex_rank.items():
            if pid not in nodes and pid not in fetched:
                continue
            weight = 1.0
            if self.fusion == "language-aware" and meta_of(pid).get("lang") != query_lang:
                weight = CROSS_LINGUAL_BM25_WEIGHT
            fused[pid] = fused.get(pid, 0.0) + weight / (RRF_K + rank + 1)

        ranked = sorted(fused, key=lambda pid: fused[pid], reverse=True)[:top_k]
        passages = []
        for pid in ranked:
            meta = meta_of(pid)
            passages.append(
                RetrievedPassage(
                    id=pid,
                    doc_id=meta.get("doc_id", ""),
                    text=text_of(pid),
                    char_start=int(meta.get("char_start", 0)),
                    char_end=int(meta.get("char_end", 0)),
                    title=meta.get("title"),
                    outlet=meta.get("outlet"),
                    date=meta.get("date"),
                    lang=meta.get("lang"),
                    score=round(fused[pid], 6),
                    dense_score=round(dense_score[pid], 4) if pid in dense_score else None,
                    bm25_rank=(lex_rank[pid] + 1) if pid in lex_rank else None,
                )
            )
        best = max(dense_score.values()) if dense_score else 0.0
        return RetrievalOutcome(passages=passages, best_dense=best)
