"""Metric rules on hand-computed cases."""

import pytest

from assistant.evaluation.metrics import aggregate, judge, normalise, percentile, satisfies
from assistant.evaluation.questions import Question, load_questions


def test_matching_ignores_case_accents_and_whitespace_runs():
    assert satisfies("Environ 890\u00a0000 citoyens", [["890 000"]])
    assert satisfies("environ 890 000 citoyens", [["890\u00a0000"]])
    assert satisfies("environ 890\u202f000", [["890 000"]])
    assert satisfies("Les ÉTATS-UNIS ont refusé", [["Etats-Unis"]])
    assert satisfies("Guérassimov   wrote", [["guerassimov"]])
    assert not satisfies("environ 89 000", [["890 000"]])


def test_every_group_needs_one_alternative():
    groups = [["Guerassimov", "Gerasimov"], ["Dunford"]]
    assert satisfies("Gerasimov wrote to Dunford", groups)
    assert not satisfies("Gerasimov wrote a letter", groups)
    assert satisfies("anything", [])


def test_alternative_with_edge_space_matches_words_and_text_end():
    assert satisfies("It was the US that leaked", [["US "]])
    assert satisfies("Moscow blamed the US", [["US "]])  # end of text
    assert normalise("A\u00a0 B") == "a b"


def q(**kw):
    base = dict(id="x", question="?", must_include=[["Dunford"]], sources=["a.txt", "b.txt"], answerable=True)
    base.update(kw)
    return Question(**base)


def test_retrieval_metrics():
    v = judge(q(), "en", answer="Dunford [1]", abstained=False, retrieved_docs=["c.txt", "a.txt", "c.txt"], cited_docs=["a.txt"], k=3, timings={})
    assert v.hit is True
    assert v.recall == 0.5  # a.txt of {a.txt, b.txt}
    assert v.reciprocal_rank == 0.5  # first source at rank 2
    v1 = judge(q(), "en", answer="", abstained=False, retrieved_docs=["c.txt", "c.txt", "a.txt"], cited_docs=[], k=2, timings={})
    assert v1.hit is False and v1.recall == 0.0 and v1.reciprocal_rank == pytest.approx(1 / 3)


def test_aggregate_hand_computed():
    verdicts = [
        # correct, 2 citations of which 1 in sources
        judge(q(id="1"), "en", answer="Dunford", abstained=False, retrieved_docs=["a.txt"], cited_docs=["a.txt", "c.txt"], k=1, timings={"retrieval": 0.1, "first_token": 1.0, "total": 2.0}),
        # wrong answer, cites nothing from sources
        judge(q(id="2"), "fr", answer="Kerry", abstained=False, retrieved_docs=["c.txt"], cited_docs=["c.txt"], k=1, timings={"retrieval": 0.3, "first_token": 3.0, "total": 4.0}),
        # wrongly abstained
        judge(q(id="3"), "fr", answer="not found", abstained=True, retrieved_docs=["b.txt"], cited_docs=[], k=1, timings={"retrieval": 0.2, "total": 0.5}),
        # unanswerable, correctly abstained
        judge(q(id="4", answerable=False, sources=[], must_include=[]), "en", answer="not found", abstained=True, retrieved_docs=["c.txt"], cited_docs=[], k=1, timings={"retrieval": 0.2, "total": 0.3}),
    ]
    s = aggregate(verdicts)
    o = s["overall"]
    assert o["answer_correctness"] == pytest.approx(1 / 3)
    assert o["citation_precision"] == pytest.approx(1 / 3)  # 1 of 3 citations
    assert o["citation_recall"] == pytest.approx(1 / 3)
    assert o["abstention"] == 1.0
    assert o["false_abstention"] == pytest.approx(1 / 3)
    assert o["hit_at_k"] == pytest.approx(2 / 3)
    assert o["retrieval_median_s"] == pytest.approx(0.2)
    assert o["first_token_median_s"] == pytest.approx(2.0)
    assert s["by_language"]["fr"]["answer_correctness"] == 0.0
    assert s["by_language"]["en"]["answer_correctness"] == 1.0


def test_percentile():
    assert percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert percentile([1, 2], 0.95) == pytest.approx(1.95)
    assert percentile([], 0.5) is None


def test_question_file_reports_bad_lines_with_numbers(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text(
        '{"id": "a", "question": "Who?", "must_include": [["x"]], "extra_field": 1}\n'
        "not json\n"
        "\n"
        '{"question": ""}\n'
        '{"must_include": []}\n'
        '[1, 2]\n'
        '{"question": "Sans id ?"}\n'
    )
    questions, errors = load_questions(f)
    assert [x.id for x in questions] == ["a", "q7"]
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 4", "line 5", "line 6"]
    assert "invalid JSON" in errors[0]
