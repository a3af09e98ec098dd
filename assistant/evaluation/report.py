"""report.json (everything), report.md (tables people read) and PNG plots (what they look at first)."""

from __future__ import annotations

import json
from pathlib import Path

from .metrics import LATENCY_METRICS, QUALITY_METRICS

LABELS = {
    "hit_at_k": "hit@k",
    "recall_at_k": "recall@k",
    "mrr": "MRR",
    "answer_correctness": "answer correctness",
    "citation_precision": "citation precision",
    "citation_recall": "citation recall",
    "abstention": "abstention (unanswerable)",
    "false_abstention": "false abstention (answerable)",
    "retrieval_median_s": "retrieval median (s)",
    "retrieval_p95_s": "retrieval p95 (s)",
    "first_token_median_s": "first token median (s)",
    "first_token_p95_s": "first token p95 (s)",
    "total_median_s": "total median (s)",
    "total_p95_s": "total p95 (s)",
}


def _fmt(value, latency: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if latency else f"{value * 100:.0f} %"


def _table(summary: dict) -> list[str]:
    systems = [s for s in ("ours", "baseline") if s in summary]
    scopes = ["overall"] + sorted(summary["ours"]["by_language"])

    def get(system, scope):
        return summary[system]["overall"] if scope == "overall" else summary[system]["by_language"].get(scope, {})

    header = "| metric | " + " | ".join(f"{sys} {scope}" for scope in scopes for sys in systems) + " |"
    lines = [header, "|" + "---|" * (1 + len(scopes) * len(systems))]
    for name in QUALITY_METRICS + LATENCY_METRICS:
        latency = name in LATENCY_METRICS
        cells = [_fmt(get(sys, scope).get(name), latency) for scope in scopes for sys in systems]
        lines.append(f"| {LABELS[name]} | " + " | ".join(cells) + " |")
    counts = [str(get("ours", scope).get("questions", 0)) for scope in scopes]
    lines.append("| questions | " + " | ".join(c for c in counts for _ in systems) + " |")
    return lines


def render_markdown(report: dict) -> str:
    s = report["summary"]
    out = [
        "# Evaluation report",
        "",
        f"- questions: `{report['questions_file']}` ({s['ours']['overall']['questions']} questions, k = {report['k']})",
        f"- created: {report['created']}",
        "- configuration: " + ", ".join(f"{k} = `{v}`" for k, v in report["config"].items()),
        "",
        "## Summary",
        "",
        *_table(s),
        "",
    ]
    if "delta" in s:
        d = s["delta"]["overall"]
        out += ["## Ours vs naive baseline (overall)", "", "| metric | change |", "|---|---|"]
        for name in QUALITY_METRICS:
            v = d.get(name)
            out.append(f"| {LABELS[name]} | {'–' if v is None else f'{v * 100:+.0f} pt'} |")
        for name in LATENCY_METRICS:
            v = d.get(name + "_ratio")
            out.append(f"| {LABELS[name]} | {'–' if v is None else f'x{v:.2f}'} |")
        out.append("")
    if report["input_errors"]:
        out += ["## Skipped lines", ""] + [f"- {e}" for e in report["input_errors"]] + [""]
    out += ["## Plots", "", "![metrics per language](metrics_by_language.png)", "", "![latency](latency.png)", "", "## Questions", ""]
    out += ["| id | lang | correct | abstained | cites source | answer |", "|---|---|---|---|---|---|"]
    for row in report["questions"]:
        v = row["ours"]["verdict"]
        answer = (row["ours"].get("answer") or "").replace("|", "\\|").replace("\n", " ")[:160]
        mark = lambda x: "–" if x is None else ("yes" if x else "no")  # noqa: E731
        out.append(f"| {row['id']} | {row['lang']} | {mark(v['correct'])} | {mark(v['abstained'])} | {mark(v['cites_source'])} | {answer} |")
    return "\n".join(out) + "\n"


def plot(report: dict, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    s = report["summary"]
    systems = [x for x in ("ours", "baseline") if x in s]
    scopes = ["overall"] + sorted(s["ours"]["by_language"])
    metrics = list(QUALITY_METRICS)
    fig, axes = plt.subplots(1, len(scopes), figsize=(5.5 * len(scopes), 4.8), sharey=True, squeeze=False)
    width = 0.8 / len(systems)
    for ax, scope in zip(axes[0], scopes):
        for i, sys in enumerate(systems):
            data = s[sys]["overall"] if scope == "overall" else s[sys]["by_language"].get(scope, {})
            values = [np.nan if data.get(m) is None else data[m] for m in metrics]
            ax.bar(np.arange(len(metrics)) + i * width, values, width, label=sys)
        ax.set_title(f"{scope} ({(s['ours']['overall'] if scope == 'overall' else s['ours']['by_language'][scope])['questions']} q)")
        ax.set_xticks(np.arange(len(metrics)) + width * (len(systems) - 1) / 2)
        ax.set_xticklabels([LABELS[m].split(" (")[0] for m in metrics], rotation=45, ha="right", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("share")
    axes[0][0].legend()
    fig.suptitle("Quality metrics by language (false abstention: lower is better)")
    fig.tight_layout()
    first = out_dir / "metrics_by_language.png"
    fig.savefig(first, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4.5))
    series, labels = [], []
    for sys in systems:
        for key, name in (("retrieval", "retrieval"), ("first_token", "first token"), ("total", "total")):
            values = [row[sys]["verdict"][f"{key}_s"] for row in report["questions"] if sys in row and row[sys]["verdict"].get(f"{key}_s") is not None]
            if values:
                series.append(values)
                labels.append(f"{sys}\n{name}")
    if series:
        ax.boxplot(series, tick_labels=labels, showmeans=True)
    ax.set_ylabel("seconds")
    ax.set_title("Latency per question")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    second = out_dir / "latency.png"
    fig.savefig(second, dpi=110)
    plt.close(fig)
    return [first, second]


def write_report(report: dict, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (out_dir / "report.md").write_text(render_markdown(report))
    return [out_dir / "report.json", out_dir / "report.md", *plot(report, out_dir)]
