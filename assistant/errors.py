"""Errors a user can act on.

Each carries a stable ``code`` so the HTTP API and the UI can map it to a
status or a plain-words message without parsing text, and a ``hint`` telling
the user what to do next.
"""

from __future__ import annotations


class AssistantError(Exception):
    code = "assistant_error"
    http_status = 500

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "hint": self.hint}


class InvalidQuestion(AssistantError):
    code = "invalid_question"
    http_status = 422


class IndexMissing(AssistantError):
    code = "index_missing"
    http_status = 503


class IndexCorrupted(AssistantError):
    code = "index_corrupted"
    http_status = 503


class EmbeddingMismatch(AssistantError):
    code = "embedding_mismatch"
    http_status = 409


class StoreUnavailable(AssistantError):
    code = "store_unavailable"
    http_status = 503


class LLMUnavailable(AssistantError):
    code = "llm_unavailable"
    http_status = 503


class ModelNotInstalled(AssistantError):
    code = "model_not_installed"
    http_status = 503
