"""Typed values that cross the service boundary.

The UI, the HTTP API, the CLI (`--json`) and Python callers all receive these
exact objects, so a field added here shows up everywhere at once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Passage(BaseModel):
    """A span of a cleaned article; offsets index into the article's cleaned text."""

    id: str
    doc_id: str
    text: str
    char_start: int
    char_end: int
    title: str | None = None
    outlet: str | None = None
    date: str | None = None
    lang: str | None = None


class RetrievedPassage(Passage):
    score: float = Field(description="Fused retrieval score (higher is better).")
    dense_score: float | None = Field(None, description="Cosine similarity to the question, if retrieved densely.")
    bm25_rank: int | None = None


class Citation(BaseModel):
    number: int = Field(description="The [n] used in the answer text.")
    passage_id: str
    doc_id: str
    title: str | None = None
    outlet: str | None = None
    date: str | None = None
    text: str
    char_start: int
    char_end: int
    score: float = Field(description="How well the passage supports the citing sentences (0-1).")


class AnswerSentence(BaseModel):
    text: str
    citations: list[int] = Field(default_factory=list)
    supported: bool = True
    attributed: bool = Field(False, description="True when the citation was added by verification, not by the model.")


class Timings(BaseModel):
    retrieval: float = 0.0
    first_token: float | None = None
    total: float = 0.0


def content_text(content) -> str:
    """Text of a chat message whose content is a string or a list of parts
    (Gradio 6 and OpenAI both send ``[{"type": "text", "text": ...}]``)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type", "text") == "text")
    return ""


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Filters(BaseModel):
    """Metadata restrictions applied to both the dense and the lexical retriever."""

    outlets: list[str] | None = None
    doc_ids: list[str] | None = None
    date_from: str | None = Field(None, description="YYYY, YYYY-MM or YYYY-MM-DD, inclusive.")
    date_to: str | None = Field(None, description="YYYY, YYYY-MM or YYYY-MM-DD, inclusive.")

    def is_empty(self) -> bool:
        return not (self.outlets or self.doc_ids or self.date_from or self.date_to)


class AskResult(BaseModel):
    question: str
    standalone_question: str
    text: str
    language: str
    abstained: bool
    abstain_reason: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    sentences: list[AnswerSentence] = Field(default_factory=list)
    retrieved: list[RetrievedPassage] = Field(default_factory=list)
    timings: Timings = Field(default_factory=Timings)
    models: dict[str, str] = Field(default_factory=dict)


class TokenEvent(BaseModel):
    type: Literal["token"] = "token"
    text: str


class ResultEvent(BaseModel):
    type: Literal["result"] = "result"
    result: AskResult


class DocumentInfo(BaseModel):
    doc_id: str
    title: str | None = None
    outlet: str | None = None
    date: str | None = None
    lang: str | None = None
    passages: int = 0
    source: str | None = None


class SkippedFile(BaseModel):
    path: str
    reason: str


class IngestReport(BaseModel):
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    passages_embedded: int = 0
