"""Scripted Q&A evaluation: question files in, report.json / report.md / plots out."""

from .metrics import aggregate, judge, normalise, satisfies
from .questions import Question, load_questions
from .runner import compare_reports, run_evaluation

__all__ = ["Question", "aggregate", "compare_reports", "judge", "load_questions", "normalise", "run_evaluation", "satisfies"]
