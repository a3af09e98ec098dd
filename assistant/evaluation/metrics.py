"""Metric definitions, exactly as the question-file format defines them.

Per question a ``Verdict``; ``aggregate`` turns verdicts into the summary
(overall and per language). Kept free of I/O and models so each rule can be
checked on hand-computed cases (tests/evaluation/test_metrics.py).
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Sequence

from pydantic import BaseModel

from .questions import Question


def normalise(text: str) -> str:
    """Case-, accent- and whitespace-insensitive form (NBSP and narrow NBSP are whitespace).

    Unlike ``citations.fold`` this keeps edge spaces, because alternatives such
    as "US " rely on them.
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).lower()


def satisfies(answer: str, must_include: Sequence[Sequence[str]]) -> bool:
    """Every group has at least one alternative in the answer."""
    # Pad so an alternative with an edge space ("US ") still matches at the end of the text.
    haystack = " " + normalise(answer) + " "
    return all(any(normalise(alt) in haystack for alt in group) for group in must_include)


def percentile(values: Sequence[float], q: float) -> float | None:
    data = sorted(v for v in values if v is not None)
    if not data:
        return None
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


class Verdict(BaseModel):
    """What one question scored; ``None`` means the metric does not apply to it."""

    id: str
    lang: str
    answerable: bool
    hit: bool | None = None
    recall: float | None = None
    reciprocal_rank: float | None = None
    correct: bool | None = None
    citations_total: int = 0
    citations_in_sources: int = 0
    cites_source: bool | None = None
    abstained: bool = False
    retrieval_s: float | None = None
    first_token_s: float | None = None
    total_s: float | None = None


def judge(
    q: Question,
    lang: str,
    *,
    answer: str,
    abstained: bool,
    retrieved_docs: Sequence[str],
    cited_docs: Sequence[str],
    k: int,
    timings: dict,
) -> Verdict:
    sources = set(q.sources)
    v = Verdict(
        id=q.id,
        lang=lang,
        answerable=q.answerable,
        abstained=abstained,
        citations_total=len(cited_docs),
        citations_in_sources=sum(1 for d in cited_docs if d in sources),
        retrieval_s=timings.get("retrieval"),
        first_token_s=timings.get("first_token"),
        total_s=timings.get("total"),
    )
    if q.answerable and sources:
        top = list(retrieved_docs)[:k]
        v.hit = any(d in sources for d in top)
        v.recall = len(sources & set(top)) / len(sources)
        rank = next((i + 1 for i, d in enumerate(retrieved_docs) if d in sources), None)
        v.reciprocal_rank = 1.0 / rank if rank else 0.0
        v.cites_source = any(d in sources for d in cited_docs)
    if q.answerable:
        v.correct = (not abstained) and satisfies(answer, q.must_include)
    return v


def _mean(values: list) -> float | None:
    data = [float(x) for x in values if x is not None]
    return sum(data) / len(data) if data else None


def summarise(verdicts: Sequence[Verdict]) -> dict:
    answerable = [v for v in verdicts if v.answerable]
    unanswerable = [v for v in verdicts if not v.answerable]
    cited = sum(v.citations_total for v in verdicts)
    out = {
        "questions": len(verdicts),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "hit_at_k": _mean([v.hit for v in verdicts]),
        "recall_at_k": _mean([v.recall for v in verdicts]),
        "mrr": _mean([v.reciprocal_rank for v in verdicts]),
        "answer_correctness": _mean([v.correct for v in answerable]),
        "citation_precision": (sum(v.citations_in_sources for v in verdicts) / cited) if cited else None,
        "citation_recall": _mean([v.cites_source for v in answerable if v.cites_source is not None]),
        "abstention": _mean([v.abstained for v in unanswerable]),
        "false_abstention": _mean([v.abstained for v in answerable]),
    }
    for name in ("retrieval_s", "first_token_s", "total_s"):
        values = [getattr(v, name) for v in verdicts if getattr(v, name) is not None]
        out[f"{name[:-2]}_median_s"] = statistics.median(values) if values else None
        out[f"{name[:-2]}_p95_s"] = percentile(values, 0.95)
    return out


QUALITY_METRICS = (
    "hit_at_k",
    "recall_at_k",
    "mrr",
    "answer_correctness",
    "citation_precision",
    "citation_recall",
    "abstention",
    "false_abstention",
)
LATENCY_METRICS = (
    "retrieval_median_s",
    "retrieval_p95_s",
    "first_token_median_s",
    "first_token_p95_s",
    "total_median_s",
    "total_p95_s",
)
LOWER_IS_BETTER = {"false_abstention", *LATENCY_METRICS}


def aggregate(verdicts: Sequence[Verdict]) -> dict:
    """Summary overall and per language."""
    langs = sorted({v.lang for v in verdicts})
    return {"overall": summarise(verdicts), "by_language": {lang: summarise([v for v in verdicts if v.lang == lang]) for lang in langs}}
