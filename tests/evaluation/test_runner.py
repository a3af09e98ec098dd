"""End to end: a 3-question file through ours and the naive baseline with the small model."""

import json
import subprocess
import sys

from assistant.evaluation import compare_reports, run_evaluation
from tests.conftest import ROOT

QUESTIONS = [
    {"id": "e1", "lang": "fr", "question": "Combien de citoyens syriens pourraient rentrer dans leur pays selon la Russie ?", "must_include": [["890 000"]], "sources": ["000_55f2b78b0a1d9555.txt"], "answerable": True},
    {"id": "e2", "lang": "en", "question": "Where was John Kerry when he said US-Russia talks on military options would be an important step?", "must_include": [["London", "Londres"]], "sources": ["004_d9708b5f1dfb3cd5.txt"], "answerable": True},
    {"id": "e3", "lang": "en", "question": "What is the recipe for a chocolate cake?", "must_include": [], "sources": [], "answerable": False},
]


def test_three_question_run_with_baseline(corpus_assistant, tmp_path):
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\nnot json\n")
    out = tmp_path / "out"
    report = run_evaluation(corpus_assistant, qfile, out, baseline=True, progress=False)

    assert report["input_errors"] == ["line 4: invalid JSON (Expecting value)"]
    for name in ("report.json", "report.md", "metrics_by_language.png", "latency.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    assert (out / "metrics_by_language.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.loads((out / "report.json").read_text())
    assert [r["id"] for r in saved["questions"]] == ["e1", "e2", "e3"]
    row = saved["questions"][0]
    assert {"answer", "citations", "retrieved", "timings", "verdict"} <= row["ours"].keys()
    assert {"answer", "verdict"} <= row["baseline"].keys()

    s = report["summary"]
    assert set(s["ours"]["by_language"]) == {"en", "fr"}
    assert s["ours"]["overall"]["hit_at_k"] == 1.0  # retrieval finds both source articles
    assert s["ours"]["overall"]["abstention"] == 1.0  # a cake recipe is not in the articles
    assert s["ours"]["overall"]["answer_correctness"] is not None
    assert "answer_correctness" in s["delta"]["overall"]
    md = (out / "report.md").read_text()
    assert "naive baseline" in md and "| e3 |" in md

    text = compare_reports(out / "report.json", out / "report.json")
    assert "answer_correctness" in text and "+0.0 pt" in text


def test_cli_eval_compare(tmp_path):
    a = {"summary": {"ours": {"overall": {"answer_correctness": 0.5, "total_median_s": 2.0}, "by_language": {}}}}
    b = {"summary": {"ours": {"overall": {"answer_correctness": 0.75, "total_median_s": 1.0}, "by_language": {}}}}
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    out = subprocess.run([sys.executable, "-m", "assistant.cli", "eval", "--compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "+25.0 pt better" in out.stdout
    assert "x0.50 better" in out.stdout
