"""HTTP JSON API (FastAPI): the same ``Assistant`` service the UI, CLI and Python callers use.

Served with the Gradio app in one process (``python app.py``) or headless
(``assistant serve``). Errors are JSON ``{"error": {"code", "message", "hint"}}``
with stable codes. Bearer keys are required whenever the server listens on a
non-loopback address, so an exposed server is never open by accident.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Literal

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from .errors import AssistantError
from .schemas import AskResult, DocumentInfo, Filters, IngestReport, ResultEvent, TokenEvent, Turn, content_text
from .service import Assistant

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    model_config = {"extra": "forbid"}

    question: str
    history: list[Turn] = Field(default_factory=list)
    filters: Filters | None = None
    top_k: int | None = Field(None, ge=1, le=20)
    stream: bool = False


class ChatMessageIn(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list | None = None


class ChatCompletionRequest(BaseModel):
    model: str | None = None
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    top_k: int | None = Field(None, ge=1, le=20)
    filters: Filters | None = None


class Article(BaseModel):
    text: str
    id: str | None = None
    title: str | None = None
    outlet: str | None = None
    date: str | None = None
    url: str | None = None
    lang: str | None = None


class ArticlesRequest(BaseModel):
    articles: list[Article] = Field(min_length=1, max_length=1000)


def error_response(status: int, code: str, message: str, hint: str | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message, "hint": hint}})


def is_loopback(host: str) -> bool:
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, api_keys: list[str]) -> None:
    """Refuse to serve an exposed address without keys."""
    if not is_loopback(host) and not api_keys:
        raise SystemExit(f"refusing to serve on {host} without API keys: set ASSISTANT_API_KEYS='[\"a-long-secret\"]'")


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_api(assistant: Assistant, app: FastAPI | None = None) -> FastAPI:
    s = assistant.settings
    app = app or FastAPI(title="Newsroom assistant API", version="1", description="Cited answers from the indexed news articles.")
    keys = [k for k in s.api_keys if k]
    max_json = s.max_request_kb * 1024
    max_upload = s.max_upload_mb * 1024 * 1024 + 64 * 1024  # multipart overhead

    @app.middleware("http")
    async def guard(request: Request, call_next):
        path = request.url.path
        if not (path.startswith("/api/") or path.startswith("/v1/")):
            return await call_next(request)
        if keys:
            header = request.headers.get("authorization", "")
            token = header[7:].strip() if header.lower().startswith("bearer ") else ""
            if not any(hmac.compare_digest(token, k) for k in keys):
                return error_response(401, "unauthorized", "missing or wrong API key", "send 'Authorization: Bearer <key>'")
        limit = max_upload if path == "/api/documents" and request.method == "POST" else max_json
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return error_response(413, "request_too_large", f"request body is {int(length):,} bytes; the limit is {limit:,}")
        if request.method in {"POST", "PUT", "PATCH"} and length is None:
            body = await request.body()  # chunked upload: measure what arrived
            if len(body) > limit:
                return error_response(413, "request_too_large", f"request body exceeds {limit:,} bytes")
        return await call_next(request)

    @app.exception_handler(AssistantError)
    async def assistant_error(_: Request, exc: AssistantError):
        return error_response(exc.http_status, exc.code, exc.message, exc.hint)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(x) for x in first.get("loc", []) if x != "body")
        message = f"{where}: {first['msg']}" if where else first["msg"]
        return error_response(422, "invalid_request", message, "see /docs for the request schema")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception):
        log.exception("unexpected API error")
        return error_response(500, "internal_error", "unexpected server error; it was logged")

    def _events(req_question, history, filters, top_k) -> Iterator:
        # Validation happens here, before any byte of the stream is sent.
        return assistant.stream(req_question, history=history, filters=filters, top_k=top_k)

    @app.post("/api/ask", response_model=AskResult, responses={422: {}, 503: {}})
    async def ask(req: AskRequest):
        """Answer a question; with ``stream: true``, Server-Sent Events: ``token`` events, then one ``result`` (or ``error``)."""
        events = await run_in_threadpool(_events, req.question, req.history, req.filters, req.top_k)
        if not req.stream:
            result = None
            for event in await run_in_threadpool(list, events):
                if isinstance(event, ResultEvent):
                    result = event.result
            return result

        def sse() -> Iterator[str]:
            try:
                for event in events:
                    if isinstance(event, TokenEvent):
                        yield _sse("token", {"text": event.text})
                    else:
                        yield _sse("result", event.result.model_dump())
            except AssistantError as exc:
                yield _sse("error", exc.to_dict())
            except Exception:  # noqa: BLE001 - the stream must end with an event, not a cut connection
                log.exception("stream failed")
                yield _sse("error", {"code": "internal_error", "message": "unexpected server error; it was logged", "hint": None})

        return StreamingResponse(iterate_in_threadpool(sse()), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.post("/v1/chat/completions")
    async def chat_completions(req: ChatCompletionRequest):
        """OpenAI-compatible chat; the last user message is the question, earlier turns the history.
        Citations travel in an extra ``citations`` field (non-streaming) or in the last chunk."""
        turns = [m for m in req.messages if m.role in ("user", "assistant")]
        if not turns or turns[-1].role != "user":
            return error_response(422, "invalid_request", "the last message must come from the user")
        question = content_text(turns[-1].content)
        history = [Turn(role=m.role, content=content_text(m.content)) for m in turns[:-1]]
        events = await run_in_threadpool(_events, question, history, req.filters, req.top_k)
        model = req.model or assistant.settings.llm_model
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())

        def citations_of(result: AskResult) -> list[dict]:
            return [c.model_dump() for c in result.citations]

        if not req.stream:
            result = None
            for event in await run_in_threadpool(list, events):
                if isinstance(event, ResultEvent):
                    result = event.result
            return {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": result.text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": citations_of(result),
                "abstained": result.abstained,
                "timings": result.timings.model_dump(),
            }

        def chunk(delta: dict, finish: str | None = None, **extra) -> str:
            body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        def sse() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            try:
                for event in events:
                    if isinstance(event, TokenEvent):
                        yield chunk({"content": event.text})
                    else:
                        r = event.result
                        # The verified text may differ from the stream; send it whole with the citations.
                        yield chunk({}, "stop", citations=citations_of(r), final_text=r.text, abstained=r.abstained)
            except AssistantError as exc:
                yield f"data: {json.dumps({'error': exc.to_dict()})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(iterate_in_threadpool(sse()), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.get("/api/documents", response_model=list[DocumentInfo])
    async def documents():
        return await run_in_threadpool(assistant.documents)

    @app.post("/api/documents", response_model=IngestReport)
    async def add_documents(request: Request, files: list[UploadFile] | None = File(None)):
        """Multipart ``files`` (.txt .md .html .jsonl) or JSON ``{"articles": [{"text": ..., "id": ..., ...}]}``."""
        if files:
            uploads = [(f.filename or "", await f.read()) for f in files]
        else:
            try:
                payload = ArticlesRequest.model_validate(await request.json())
            except ValueError as exc:
                return error_response(422, "invalid_request", f"expected multipart files or JSON articles: {str(exc)[:300]}")
            uploads = []
            for article in payload.articles:
                record = article.model_dump(exclude_none=True)
                record.setdefault("id", "api-" + uuid.uuid5(uuid.NAMESPACE_URL, article.text).hex[:16])
                name = "".join(c if c.isalnum() or c in "-_." else "_" for c in record["id"])[:150] + ".jsonl"
                uploads.append((name, (json.dumps(record, ensure_ascii=False) + "\n").encode()))
        report = await run_in_threadpool(assistant.add_files, uploads)
        return report

    @app.delete("/api/documents/{doc_id}")
    async def delete_document(doc_id: str):
        if not await run_in_threadpool(assistant.delete_document, doc_id):
            return error_response(404, "not_found", f"no document '{doc_id}'")
        return {"deleted": doc_id}

    @app.get("/api/health")
    async def health():
        """200 when index, embedder and LLM are all reachable; 503 (same body) when any is not."""
        body = await run_in_threadpool(assistant.health)
        return JSONResponse(status_code=200 if body["status"] == "ok" else 503, content=body)

    return app
