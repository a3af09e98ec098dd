"""Question files (JSONL): one object per line, see eval/README or shared README format.

Malformed lines are reported with their line number and skipped, never fatal:
an editor's 200-question file with one typo should still run.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator


class Question(BaseModel):
    model_config = {"extra": "ignore"}

    id: str = ""
    lang: str | None = None
    question: str
    must_include: list[list[str]] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    answerable: bool = True

    @field_validator("question")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("question is empty")
        return v


def load_questions(path: Path) -> tuple[list[Question], list[str]]:
    """Questions and one error line per malformed entry ("line N: why")."""
    questions: list[Question] = []
    errors: list[str] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read question file {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(data, dict):
            errors.append(f"line {number}: expected a JSON object")
            continue
        try:
            q = Question(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            errors.append(f"line {number}: {'.'.join(str(x) for x in first['loc']) or 'entry'}: {first['msg']}")
            continue
        if not q.id:
            q.id = f"q{number}"
        questions.append(q)
    return questions, errors
