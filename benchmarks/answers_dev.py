"""Quick answer-quality check on a question file (the full evaluation tool is `assistant eval`, issue 3).

Prints, per question: correct (must_include satisfied, or abstained when
unanswerable), abstained, cited documents, total seconds; then a summary with
median latencies. Uses a throwaway index in a temp directory.

    python benchmarks/answers_dev.py [eval/dev_qa.jsonl] [model]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from assistant import Assistant
from assistant.citations import fold

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    qfile = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "eval" / "dev_qa.jsonl"
    model = sys.argv[2] if len(sys.argv) > 2 else "qwen2.5-coder-1.5b"
    questions = [json.loads(line) for line in qfile.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        a = Assistant.from_settings(index_dir=Path(tmp), llm_model=model)
        a.ingest([ROOT / "corpus"], progress=False)
        rows = []
        for q in questions:
            r = a.ask(q["question"])
            if q["answerable"]:
                ok = not r.abstained and all(any(fold(alt) in fold(r.text) for alt in g) for g in q["must_include"])
                cite_ok = any(c.doc_id in q["sources"] for c in r.citations)
            else:
                ok, cite_ok = r.abstained, None
            rows.append((q, r, ok, cite_ok))
            print(f"{q['id']:4} {q.get('lang', ''):2} ok={ok!s:5} abstained={r.abstained!s:5} cites={[c.doc_id[:3] for c in r.citations]} {r.timings.total:5.1f}s  {r.text[:110]!r}")
    ans = [x for x in rows if x[0]["answerable"]]
    una = [x for x in rows if not x[0]["answerable"]]
    print(f"\nmodel {model}")
    print(f"answer correctness {sum(x[2] for x in ans)}/{len(ans)}; cites a source doc {sum(bool(x[3]) for x in ans)}/{len(ans)}; "
          f"abstained on unanswerable {sum(x[2] for x in una)}/{len(una)}; wrongly abstained {sum(x[1].abstained for x in ans)}/{len(ans)}")
    print(f"median retrieval {statistics.median(x[1].timings.retrieval for x in rows) * 1000:.0f} ms, "
          f"first token {statistics.median(x[1].timings.first_token or 0 for x in rows):.2f} s, total {statistics.median(x[1].timings.total for x in rows):.2f} s")


if __name__ == "__main__":
    main()
