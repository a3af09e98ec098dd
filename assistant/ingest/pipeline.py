"""Incremental, idempotent ingestion: files → cleaned articles → passages → Chroma.

A document is re-embedded only when its content hash changes, and only the
passages whose text changed are embedded (passage ids hash their text). The
order of writes is chosen so that a crash at any point converges on the next
run: new passages are added first, stale ones deleted next, and the document
record (holding the hash) is written last — until it is, the next run sees the
document as changed and redoes it, deleting any orphan passages.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Callable

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from tqdm import tqdm

from ..schemas import IngestReport, SkippedFile
from .chunking import split_passages
from .loaders import Article, iter_files, load_file

log = logging.getLogger(__name__)

# Bump when cleaning or chunking rules change, so every document is redone.
PIPELINE_VERSION = "1"

ProgressFn = Callable[[int, int], None]


def date_key(date: str | None) -> int | None:
    """YYYY[-MM[-DD]] → sortable int YYYYMMDD (missing parts as 00) for Chroma range filters."""
    if not date:
        return None
    digits = date.replace("/", "-").split("T")[0].split("-")
    try:
        year = int(digits[0])
        month = int(digits[1]) if len(digits) > 1 else 0
        day = int(digits[2]) if len(digits) > 2 else 0
    except ValueError:
        return None
    if not (1000 <= year <= 9999 and 0 <= month <= 12 and 0 <= day <= 31):
        return None
    return year * 10000 + month * 100 + day


def _doc_hash(article: Article, passage_chars: int) -> str:
    key = "\x00".join(
        str(x)
        for x in (PIPELINE_VERSION, passage_chars, article.text, article.title, article.outlet, article.date, article.lang, article.url)
    )
    return hashlib.sha256(key.encode()).hexdigest()


def _doc_meta(article: Article) -> dict:
    return {
        "doc_id": article.doc_id,
        "title": article.title,
        "outlet": article.outlet,
        "date": article.date,
        "date_key": date_key(article.date),
        "lang": article.lang,
        "url": article.url,
    }


class Ingestor:
    def __init__(self, store, embed_model, passage_chars: int):
        self.store = store
        self.embed_model = embed_model
        self.passage_chars = passage_chars

    def ingest(self, paths: list[Path], *, prune: bool = False, progress: bool = True, on_progress: ProgressFn | None = None) -> IngestReport:
        report = IngestReport()
        files, skipped = iter_files(paths)
        report.skipped.extend(skipped)
        articles: list[Article] = []
        seen_ids: set[str] = set()
        loaded_sources: set[str] = set()
        for path in files:
            file_skips: list[SkippedFile] = []
            for article in load_file(path, file_skips):
                if article.doc_id in seen_ids:
                    file_skips.append(SkippedFile(path=str(path), reason=f"duplicate document id '{article.doc_id}' (first one kept)"))
                    continue
                seen_ids.add(article.doc_id)
                articles.append(article)
            report.skipped.extend(file_skips)
            if not any(s.path == str(path) for s in file_skips):
                loaded_sources.add(str(path))

        records = self.store.doc_records()
        todo: list[tuple[Article, str, list]] = []
        for article in articles:
            digest = _doc_hash(article, self.passage_chars)
            old = records.get(article.doc_id)
            if old and old.get("hash") == digest:
                report.unchanged.append(article.doc_id)
                continue
            chunks = split_passages(article.doc_id, article.text, article.lang or "fr", self.passage_chars)
            todo.append((article, digest, chunks))

        # Only passages whose id is new need embedding.
        existing = {a.doc_id: self.store.passage_ids(a.doc_id) for a, _, _ in todo}
        to_embed = sum(1 for a, _, chunks in todo for c in chunks if c.id not in existing[a.doc_id])
        bar = tqdm(total=to_embed, desc="Embedding passages", unit="passage", disable=not progress)
        done = 0
        try:
            for article, digest, chunks in todo:
                meta = _doc_meta(article)
                new_chunks = [c for c in chunks if c.id not in existing[article.doc_id]]
                for start in range(0, len(new_chunks), 16):
                    batch = new_chunks[start : start + 16]
                    vectors = self.embed_model.get_text_embedding_batch([c.text for c in batch])
                    nodes = [
                        TextNode(
                            id_=c.id,
                            text=c.text,
                            embedding=vec,
                            # llama-index writes the source document's id into the
                            # "doc_id" metadata key; make it ours, not "None".
                            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article.doc_id)},
                            metadata={k: v for k, v in {**meta, "char_start": c.char_start, "char_end": c.char_end}.items() if v is not None},
                            excluded_embed_metadata_keys=list(meta) + ["char_start", "char_end"],
                            excluded_llm_metadata_keys=list(meta) + ["char_start", "char_end"],
                        )
                        for c, vec in zip(batch, vectors)
                    ]
                    self.store.vector_store.add(nodes)
                    done += len(batch)
                    bar.update(len(batch))
                    if on_progress:
                        on_progress(done, to_embed)
                stale = sorted(existing[article.doc_id] - {c.id for c in chunks})
                self.store.delete_passages(stale)
                self.store.upsert_doc(
                    article.doc_id,
                    {**meta, "hash": digest, "passages": len(chunks), "source": article.source},
                    text=article.text,
                )
                (report.updated if article.doc_id in records else report.added).append(article.doc_id)
        finally:
            bar.close()
        report.passages_embedded = done

        if prune:
            for doc_id, record in records.items():
                source = record.get("source")
                gone = source and not Path(source).exists()
                # A file that still loads but no longer yields this document
                # (a jsonl line removed). A file that failed to load keeps its
                # documents: a bad read must not delete good data.
                dropped = source in loaded_sources and doc_id not in seen_ids
                if gone or dropped:
                    self.store.delete_doc(doc_id)
                    report.removed.append(doc_id)
        return report
