"""Run a question file through the assistant (and optionally the naive baseline) and write the report.

Usable from a notebook:

    from assistant import Assistant
    from assistant.evaluation import run_evaluation
    report = run_evaluation(Assistant.from_settings(), "eval/dev_qa.jsonl", out_dir="eval/out", baseline=True)
    report["summary"]["ours"]["overall"]["answer_correctness"]
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tqdm import tqdm

from ..errors import AssistantError
from ..language import detect_language
from .metrics import LATENCY_METRICS, LOWER_IS_BETTER, QUALITY_METRICS, Verdict, aggregate, judge
from .questions import load_questions


def _ours(assistant, q, k: int) -> tuple[dict, dict]:
    try:
        r = assistant.ask(q.question)
    except AssistantError as exc:
        record = {"error": exc.to_dict(), "answer": "", "abstained": False, "citations": [], "retrieved": []}
        return record, dict(answer="", abstained=False, retrieved_docs=[], cited_docs=[], timings={})
    record = {
        "answer": r.text,
        "abstained": r.abstained,
        "abstain_reason": r.abstain_reason,
        "language": r.language,
        "citations": [{"number": c.number, "doc_id": c.doc_id, "passage_id": c.passage_id, "score": c.score} for c in r.citations],
        "unsupported_sentences": [s.text for s in r.sentences if not s.supported],
        "retrieved": [{"passage_id": p.id, "doc_id": p.doc_id, "score": p.score, "dense_score": p.dense_score} for p in r.retrieved],
        "timings": r.timings.model_dump(),
    }
    judged = dict(
        answer=r.text,
        abstained=r.abstained,
        retrieved_docs=[p.doc_id for p in r.retrieved],
        cited_docs=[c.doc_id for c in r.citations],
        timings=r.timings.model_dump(),
    )
    return record, judged


def _baseline(naive, q) -> tuple[dict, dict]:
    try:
        b = naive.ask(q.question)
    except AssistantError as exc:
        return {"error": exc.to_dict()}, dict(answer="", abstained=False, retrieved_docs=[], cited_docs=[], timings={})
    record = b.model_dump(exclude={"text"})
    record["answer"] = b.text  # same key as ours, so report readers need one name
    judged = dict(answer=b.text, abstained=b.abstained, retrieved_docs=b.retrieved_docs, cited_docs=b.cited_docs, timings=b.timings)
    return record, judged


def deltas(ours: dict, base: dict) -> dict:
    """Quality: ours − baseline (points); latency: ours / baseline (ratio)."""
    out: dict = {}
    for name in QUALITY_METRICS:
        a, b = ours.get(name), base.get(name)
        out[name] = None if a is None or b is None else a - b
    for name in LATENCY_METRICS:
        a, b = ours.get(name), base.get(name)
        out[name + "_ratio"] = None if not a or not b else a / b
    return out


def run_evaluation(assistant, questions_path, out_dir=None, *, baseline: bool = False, k: int | None = None, progress: bool = True) -> dict:
    questions, errors = load_questions(Path(questions_path))
    k = k or assistant.settings.top_k
    naive = None
    if baseline:
        from .baseline import NaiveBaseline

        naive = NaiveBaseline(assistant)
    rows = []
    verdicts: dict[str, list[Verdict]] = {"ours": [], "baseline": []}
    for q in tqdm(questions, desc="Evaluating", unit="question", disable=not progress):
        lang = q.lang or detect_language(q.question)
        row = {"id": q.id, "lang": lang, "question": q.question, "answerable": q.answerable, "sources": q.sources, "must_include": q.must_include}
        record, judged = _ours(assistant, q, k)
        v = judge(q, lang, k=k, **judged)
        verdicts["ours"].append(v)
        row["ours"] = {**record, "verdict": v.model_dump()}
        if naive is not None:
            record, judged = _baseline(naive, q)
            v = judge(q, lang, k=k, **judged)
            verdicts["baseline"].append(v)
            row["baseline"] = {**record, "verdict": v.model_dump()}
        rows.append(row)

    summary = {"ours": aggregate(verdicts["ours"])}
    if naive is not None:
        summary["baseline"] = aggregate(verdicts["baseline"])
        summary["delta"] = {
            "overall": deltas(summary["ours"]["overall"], summary["baseline"]["overall"]),
            "by_language": {
                lang: deltas(summary["ours"]["by_language"][lang], summary["baseline"]["by_language"].get(lang, {}))
                for lang in summary["ours"]["by_language"]
            },
        }
    report = {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "questions_file": str(questions_path),
        "k": k,
        "config": {
            "embedding": assistant.embed_model.model_name,
            "llm": assistant.generator.name,
            "top_k": assistant.settings.top_k,
            "fusion": assistant.settings.fusion,
            "passage_chars": assistant.settings.passage_chars,
            "abstain_below": assistant.settings.abstain_below,
        },
        "input_errors": errors,
        "summary": summary,
        "questions": rows,
    }
    if out_dir is not None:
        from .report import write_report

        write_report(report, Path(out_dir))
    return report


def compare_reports(a_path, b_path) -> str:
    """Metric deltas B − A (quality) and B / A (latency), overall and per language, as text."""
    a = json.loads(Path(a_path).read_text())["summary"]["ours"]
    b = json.loads(Path(b_path).read_text())["summary"]["ours"]
    lines = [f"{'metric':24} {'scope':8} {'A':>8} {'B':>8} {'change':>9}"]
    scopes = [("overall", a["overall"], b["overall"])] + [
        (lang, a["by_language"].get(lang, {}), b["by_language"].get(lang, {})) for lang in sorted(set(a["by_language"]) | set(b["by_language"]))
    ]
    for scope, sa, sb in scopes:
        for name in QUALITY_METRICS + LATENCY_METRICS:
            va, vb = sa.get(name), sb.get(name)
            if va is None and vb is None:
                continue
            if va is None or vb is None:
                change = "n/a"
            elif name in LATENCY_METRICS:
                change = f"x{vb / va:.2f}" if va else "n/a"
            else:
                change = f"{(vb - va) * 100:+.1f} pt"
            better = ""
            if va is not None and vb is not None and va != vb:
                improved = (vb < va) if name in LOWER_IS_BETTER else (vb > va)
                better = " better" if improved else " worse"
            fmt = (lambda x: "-" if x is None else (f"{x:.3f}" if name in LATENCY_METRICS else f"{x:.2f}"))
            lines.append(f"{name:24} {scope:8} {fmt(va):>8} {fmt(vb):>8} {change:>9}{better}")
    return "\n".join(lines)
