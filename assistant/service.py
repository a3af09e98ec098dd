"""The one service layer: the UI, the HTTP API, the CLI and Python callers all go through ``Assistant``.

Components (embedder, store, retriever, LLM) are created lazily, so
``assistant info`` or an ingestion never loads the 1 GB language model, and a
broken LLM does not prevent browsing the library.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from llama_index.core.llms import ChatMessage

from .citations import MARKER, verify
from .errors import AssistantError, InvalidQuestion, LLMUnavailable, StoreUnavailable
from .language import answer_language
from .prompts import Prompts
from .schemas import (
    AskResult,
    DocumentInfo,
    Filters,
    IngestReport,
    ResultEvent,
    RetrievedPassage,
    Timings,
    TokenEvent,
    Turn,
)
from .safety import neutralise
from .settings import Settings

log = logging.getLogger(__name__)

ABSTAIN_MARKER = "NOT_FOUND"
# The model's own "no answer" signal besides the marker: refusals small models write anyway.
_REFUSAL = re.compile(
    r"^\W*(?:not[_ ]found|"
    r"(?:the )?(?:passages?|articles?|texts?|context) (?:do(?:es)? not|don't|doesn't) (?:contain|mention|provide|say|answer)|"
    r"(?:i )?(?:do not|don't|cannot|can't) (?:know|find|answer)|"
    r"there is no (?:information|mention)|no information|"
    r"(?:les )?(?:extraits?|articles?|textes?|passages?) ne (?:contiennent|contient|mentionnent|mentionne|précisent|précise|disent|dit|donnent|donne) pas|"
    r"je ne (?:sais|peux|trouve) pas|aucune information|il n'y a pas d'information)",
    re.IGNORECASE,
)


def refuses(answer: str) -> bool:
    """The model's own "no answer" signal: empty, the marker, or a refusal sentence.
    The evaluation reads the naive baseline's answers with it too, so both are judged alike."""
    return not answer or bool(_REFUSAL.match(answer)) or ABSTAIN_MARKER in answer


def _has_words(text: str) -> bool:
    """False for an answer made only of citation markers ("[3]", "[2][3].")."""
    return any(c.isalnum() for c in MARKER.sub("", text))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_filename(name: str) -> str | None:
    """The base name of an uploaded file, or None when it tries to leave its folder or is not a name."""
    if not isinstance(name, str):
        return None
    base = name.replace("\\", "/").split("/")[-1].strip()
    if not base or base in {".", ".."} or base.startswith(".") or "\x00" in base or len(base) > 200:
        return None
    if base != name.strip() and (".." in name or name.startswith("/")):
        return None  # path traversal attempt: refuse rather than silently rename
    return base


def clean_question(question: object, limit: int) -> str:
    """Validate a question; raises ``InvalidQuestion`` with a message a user can act on."""
    if not isinstance(question, str):
        raise InvalidQuestion("the question must be text", hint="send a string")
    text = _CONTROL.sub(" ", question).strip()
    if not text:
        raise InvalidQuestion("the question is empty", hint="type a question about the articles")
    if len(text) > limit:
        raise InvalidQuestion(
            f"the question is {len(text):,} characters long; the limit is {limit:,}",
            hint="shorten it to the question itself",
        )
    return text


class Assistant:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.prompts = Prompts(settings.prompts_dir)
        self._lock = threading.RLock()
        self._embed = None
        self._store = None
        self._retriever = None
        self._generator = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides) -> "Assistant":
        return cls(settings or Settings(**overrides))

    # --- components (lazy) --------------------------------------------------
    @property
    def embed_model(self):
        with self._lock:
            if self._embed is None:
                from .components.embedding import build_embedding

                self._embed = build_embedding(self.settings)
            return self._embed

    def _open_store(self, create: bool = False):
        from .components.embedding import embedding_id
        from .components.vector_store import Store

        with self._lock:
            if self._store is None:
                self._store = Store(self.settings, embedding_id(self.settings), create=create)
            return self._store

    @property
    def store(self):
        return self._open_store(create=False)

    @property
    def retriever(self):
        with self._lock:
            if self._retriever is None:
                from .retrieval import HybridRetriever

                self._retriever = HybridRetriever(
                    self.store, self.embed_model, candidates=self.settings.candidates, fusion=self.settings.fusion
                )
            return self._retriever

    @property
    def generator(self):
        with self._lock:
            if self._generator is None:
                from .components.llm import build_generator

                self._generator = build_generator(self.settings)
            return self._generator

    # --- library ---------------------------------------------------------------
    def ingest(self, paths: Sequence[str | Path], *, prune: bool = False, rebuild: bool = False, progress: bool = True, on_progress=None) -> IngestReport:
        from .components.vector_store import Store
        from .ingest.pipeline import Ingestor

        with self._lock:
            if rebuild:
                Store.drop(self.settings)
                self._store = None
                self._retriever = None
            store = self._open_store(create=True)
            report = Ingestor(store, self.embed_model, self.settings.passage_chars).ingest(
                [Path(p) for p in paths], prune=prune, progress=progress, on_progress=on_progress
            )
        return report

    def add_files(self, files: Sequence[tuple[str, bytes]], *, on_progress=None) -> IngestReport:
        """Keep uploaded files in ``uploads_dir`` and index them (UI and HTTP API share this).

        Each file is checked in a staging folder first, so a rejected upload
        leaves nothing behind, and accepted ones live on disk where a later
        ``ingest --prune`` will not mistake them for deleted files.
        """
        from .ingest.loaders import SUPPORTED_SUFFIXES, load_file
        from .schemas import SkippedFile

        uploads = self.settings.uploads_dir
        staging = uploads / ".staging"
        staging.mkdir(parents=True, exist_ok=True)
        limit = self.settings.max_upload_mb * 1024 * 1024
        rejected: list[SkippedFile] = []
        accepted: list[Path] = []
        for raw_name, data in files:
            name = safe_filename(raw_name)
            if name is None:
                rejected.append(SkippedFile(path=str(raw_name)[:200], reason="invalid file name"))
                continue
            if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                rejected.append(SkippedFile(path=name, reason=f"unsupported file type '{Path(name).suffix or '(none)'}'"))
                continue
            if len(data) > limit:
                rejected.append(SkippedFile(path=name, reason=f"file too large ({len(data):,} bytes > {limit:,})"))
                continue
            staged = staging / name
            staged.write_bytes(data)
            problems: list[SkippedFile] = []
            articles = load_file(staged, problems)
            if not articles:
                staged.unlink(missing_ok=True)
                rejected.extend(SkippedFile(path=p.path.replace(str(staging) + "/", ""), reason=p.reason) for p in problems)
                continue
            target = uploads / name
            staged.replace(target)
            accepted.append(target)
        report = self.ingest(accepted, progress=False, on_progress=on_progress) if accepted else IngestReport()
        report.skipped = rejected + report.skipped
        return report

    def delete_document(self, doc_id: str) -> bool:
        """Remove a document from the index, and its uploaded file if it came from an upload."""
        with self._lock:
            record = self.store.doc_record(doc_id)
            if record is None:
                return False
            self.store.delete_doc(doc_id)
            source = Path(record.get("source") or "")
            uploads = self.settings.uploads_dir.resolve()
            if source.is_file() and uploads in source.resolve().parents and source.suffix.lower() != ".jsonl":
                source.unlink()
            return True

    def documents(self) -> list[DocumentInfo]:
        records = self.store.doc_records()
        return sorted(
            (
                DocumentInfo(
                    doc_id=doc_id,
                    title=r.get("title"),
                    outlet=r.get("outlet"),
                    date=r.get("date"),
                    lang=r.get("lang"),
                    passages=int(r.get("passages", 0)),
                    source=r.get("source"),
                )
                for doc_id, r in records.items()
            ),
            key=lambda d: d.doc_id,
        )

    def article_text(self, doc_id: str) -> str | None:
        return self.store.article_text(doc_id)

    def info(self) -> dict:
        from .components.embedding import embedding_id
        from .components.model_files import SHIPPED_MODELS, installed

        s = self.settings
        data: dict = {
            "index": f"chroma server {s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(s.index_dir),
            "collection": s.collection,
            "embedding_model": embedding_id(s),
            "llm": f"ollama:{s.ollama_model} at {s.ollama_host}" if s.llm_backend == "ollama" else f"llamacpp:{s.llm_model}",
            "shipped_models": {name: {"installed": installed(m), "description": m.description} for name, m in SHIPPED_MODELS.items()},
        }
        try:
            store = self.store
            data.update(
                documents=store.doc_count(),
                passages=store.count(),
                index_embedding_model=(store.passages.metadata or {}).get("embed_model"),
            )
        except AssistantError as exc:
            data["index_error"] = str(exc)
        return data

    def health(self) -> dict:
        """Reachability of index, embedder and LLM, without loading the LLM if it is not loaded yet."""
        from .components.model_files import resolve_gguf

        def check(fn) -> dict:
            try:
                return {"ok": True, **(fn() or {})}
            except AssistantError as exc:
                return {"ok": False, "error": exc.to_dict()}
            except Exception as exc:  # noqa: BLE001 - health reports, it does not raise
                return {"ok": False, "error": {"code": "unavailable", "message": str(exc)[:300]}}

        def llm() -> dict:
            s = self.settings
            if s.llm_backend == "ollama":
                import httpx

                try:
                    tags = httpx.get(s.ollama_host.rstrip("/") + "/api/tags", timeout=3).json()
                except httpx.HTTPError as exc:
                    raise LLMUnavailable(f"cannot reach Ollama at {s.ollama_host}: {exc}") from exc
                names = {m.get("name") for m in tags.get("models", [])} | {m.get("model") for m in tags.get("models", [])}
                if s.ollama_model not in names and f"{s.ollama_model}:latest" not in names:
                    raise LLMUnavailable(f"Ollama has no model '{s.ollama_model}'", hint=f"ollama pull {s.ollama_model}")
                return {"model": f"ollama:{s.ollama_model}"}
            path = resolve_gguf(s.llm_model, s.model_cache_dir)
            return {"model": f"llamacpp:{s.llm_model}", "file": str(path), "loaded": self._generator is not None}

        parts = {
            "index": check(lambda: {"documents": self.store.doc_count(), "passages": self.store.count()}),
            "embedder": check(lambda: {"model": self.embed_model.model_name, "dim": len(self.embed_model.get_query_embedding("ping"))}),
            "llm": check(llm),
        }
        return {"status": "ok" if all(p["ok"] for p in parts.values()) else "degraded", **parts}

    # --- asking ----------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Turn | dict] | None = None, filters: Filters | None = None, top_k: int | None = None) -> AskResult:
        result = None
        for event in self.stream(question, history=history, filters=filters, top_k=top_k):
            if isinstance(event, ResultEvent):
                result = event.result
        assert result is not None
        return result

    def conversation(self) -> "Conversation":
        return Conversation(self)

    def condense(self, question: str, history: Sequence[Turn], lang: str) -> str:
        """Rewrite a follow-up as a standalone question so retrieval sees what "it" means."""
        turns = [t for t in history if t.content.strip()][-6:]
        if not turns:
            return question
        lines = "\n".join(f"{'User' if t.role == 'user' else 'Assistant'}: {t.content.strip()[:500]}" for t in turns)
        prompt = self.prompts.render("condense", lang, history=lines, question=question)
        text = self.generator.complete([ChatMessage(role="user", content=prompt)], max_tokens=80).strip()
        text = text.splitlines()[0].strip().strip('"«» ') if text else ""
        return text if len(text) >= 3 else question

    def _messages(self, question: str, passages: list[RetrievedPassage], lang: str) -> list[ChatMessage]:
        blocks = []
        for n, p in enumerate(passages, start=1):
            heading = " — ".join(x for x in (p.title, p.outlet, p.date) if x)
            # The model reads passages with planted instructions cut out (assistant/safety.py).
            blocks.append(self.prompts.render("passage", None, number=str(n), heading=heading, text=neutralise(p.text)))
        user = self.prompts.render("question", lang, passages="\n\n".join(blocks), question=question)
        return [
            ChatMessage(role="system", content=self.prompts.get("system", lang).strip()),
            ChatMessage(role="user", content=user),
        ]

    def _abstain(self, base: dict, reason: str, timings: Timings) -> ResultEvent:
        text = self.prompts.get("abstain", base["language"]).strip()
        return ResultEvent(result=AskResult(**base, text=text, abstained=True, abstain_reason=reason, timings=timings))

    def stream(
        self,
        question: str,
        history: Sequence[Turn | dict] | None = None,
        filters: Filters | dict | None = None,
        top_k: int | None = None,
    ) -> Iterator[TokenEvent | ResultEvent]:
        """Yield ``TokenEvent``s as the model writes, then one ``ResultEvent`` with the verified answer.

        Validation errors are raised before the first event, so callers can
        map them to a 4xx without having started a response.
        """
        question = clean_question(question, self.settings.max_question_chars)
        turns = [t if isinstance(t, Turn) else Turn(**t) for t in (history or [])]
        if isinstance(filters, dict):
            filters = Filters(**filters)
        k = top_k or self.settings.top_k
        if not 1 <= k <= 20:
            raise InvalidQuestion(f"top_k must be between 1 and 20, got {k}")
        return self._stream(question, turns, filters, k)

    def _stream(self, question: str, turns: list[Turn], filters: Filters | None, k: int) -> Iterator[TokenEvent | ResultEvent]:
        t0 = time.perf_counter()
        lang = answer_language(question)
        retriever = self.retriever  # opens the index: raises IndexMissing etc. before any LLM work
        standalone = self.condense(question, turns, lang) if turns else question
        t_retr = time.perf_counter()
        outcome = self._retrieve(retriever, standalone, k, filters, lang)
        timings = Timings(retrieval=round(time.perf_counter() - t_retr, 4))
        base = dict(
            question=question,
            standalone_question=standalone,
            language=lang,
            retrieved=outcome.passages,
            models={"embedding": self.embed_model.model_name, "llm": self._llm_name()},
        )
        if not outcome.passages or outcome.best_dense < self.settings.abstain_below:
            timings.total = round(time.perf_counter() - t0, 4)
            yield self._abstain(base, "retrieval: no passage is close enough to the question", timings)
            return

        messages = self._messages(standalone, outcome.passages, lang)
        generator = self.generator
        base["models"]["llm"] = generator.name
        raw = yield from self._generate(generator, messages, timings, t0)
        if raw and not _has_words(raw):
            # The model pointed at a passage ("[3]") without answering: ask once more for a sentence.
            raw = yield from self._ask_again(generator, messages, raw, "retry", lang, timings, t0)

        if refuses(raw):
            timings.total = round(time.perf_counter() - t0, 4)
            yield self._abstain(base, "model: the passages do not answer the question", timings)
            return

        vectors = self.store.get([p.id for p in outcome.passages], with_embeddings=True)
        passage_vectors = [vectors[p.id]["embedding"] for p in outcome.passages]
        verified = verify(raw, outcome.passages, passage_vectors, self.embed_model.get_query_embedding, lang)
        if self.settings.recheck_unsupported and verified.sentences and not any(s.supported for s in verified.sentences):
            # Nothing the model said is backed by a passage (a wrong date, a guess): tell it so and
            # let it answer once more; a withdrawal becomes an abstention rather than a guess.
            second = yield from self._ask_again(generator, messages, raw, "recheck", lang, timings, t0)
            if refuses(second):
                timings.total = round(time.perf_counter() - t0, 4)
                yield self._abstain(base, "model: withdrew an answer the passages do not support", timings)
                return
            again = verify(second, outcome.passages, passage_vectors, self.embed_model.get_query_embedding, lang)
            if any(s.supported for s in again.sentences):
                verified = again
        timings.total = round(time.perf_counter() - t0, 4)
        if not verified.sentences:
            # Only citation markers, no words: the model pointed but did not answer.
            yield self._abstain(base, "model: no answer text", timings)
            return
        yield ResultEvent(
            result=AskResult(
                **base,
                text=verified.text,
                abstained=False,
                citations=verified.citations,
                sentences=verified.sentences,
                timings=timings,
            )
        )

    def _retrieve(self, retriever, question: str, k: int, filters: Filters | None, lang: str):
        """Retrieval with store failures (a Chroma server going away) turned into a clear error."""
        try:
            return retriever.retrieve(question, k, filters, lang)
        except AssistantError:
            raise
        except Exception as exc:
            where = f"the Chroma server at {self.settings.chroma_host}:{self.settings.chroma_port}" if self.settings.chroma_host else f"the index at {self.settings.index_dir}"
            raise StoreUnavailable(f"cannot read {where}: {str(exc)[:200]}", hint="check that the Chroma server is running, then retry") from exc

    def _ask_again(self, generator, messages, answer: str, prompt: str, lang: str, timings: Timings, t0: float):
        """Continue the same chat with the model's answer and one more instruction (prompts/<prompt>_<lang>.txt)."""
        follow_up = messages + [
            ChatMessage(role="assistant", content=answer),
            ChatMessage(role="user", content=self.prompts.get(prompt, lang).strip()),
        ]
        yield TokenEvent(text="\n")
        return (yield from self._generate(generator, follow_up, timings, t0))

    def _generate(self, generator, messages, timings: Timings, t0: float):
        """Stream one generation as TokenEvents; returns the full text.

        Text that could still become the abstention marker is held back, so
        "NOT_FOUND" never flashes on screen before the localised message.
        """
        pieces: list[str] = []
        held = ""
        released = False
        for delta in generator.stream(messages):
            if timings.first_token is None:
                timings.first_token = round(time.perf_counter() - t0, 4)
            pieces.append(delta)
            if released:
                yield TokenEvent(text=delta)
                continue
            held += delta
            probe = held.lstrip()
            if ABSTAIN_MARKER.startswith(probe) or probe.startswith(ABSTAIN_MARKER):
                continue
            released = True
            yield TokenEvent(text=held)
        return "".join(pieces).strip()

    def _llm_name(self) -> str:
        s = self.settings
        return f"ollama:{s.ollama_model}" if s.llm_backend == "ollama" else f"llamacpp:{s.llm_model}"


class Conversation:
    """Multi-turn chat: keeps the history and condenses follow-ups."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self.history: list[Turn] = []

    def _record(self, question: str, result: AskResult) -> None:
        self.history.append(Turn(role="user", content=question))
        self.history.append(Turn(role="assistant", content=result.text))

    def ask(self, question: str, **kwargs) -> AskResult:
        result = self.assistant.ask(question, history=list(self.history), **kwargs)
        self._record(question, result)
        return result

    def stream(self, question: str, **kwargs) -> Iterator[TokenEvent | ResultEvent]:
        for event in self.assistant.stream(question, history=list(self.history), **kwargs):
            if isinstance(event, ResultEvent):
                self._record(question, event.result)
            yield event

    def reset(self) -> None:
        self.history.clear()
