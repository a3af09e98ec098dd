"""LLM backends behind llama-index's ``LLM`` interface: embedded llama.cpp (default) or Ollama.

Both are used only through ``stream_chat``, so the service cannot tell them
apart. For llama.cpp we render prompts with the chat template stored in the
GGUF itself (llama-index's LlamaCPP defaults to a Llama-2 format that Qwen
does not understand). Messages are laid out with the fixed system prompt
first, so llama.cpp's prefix cache skips re-reading it on the next question.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence

from llama_index.core.llms import LLM, ChatMessage

from ..errors import LLMUnavailable
from ..settings import Settings
from .model_files import resolve_gguf

log = logging.getLogger(__name__)


def _gguf_chat_formatter(llama):
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    meta = llama.metadata
    template = meta.get("tokenizer.chat_template")
    if not template:
        raise LLMUnavailable("the GGUF model has no chat template", hint="use an instruction-tuned GGUF")

    def token_text(key: str) -> str:
        tid = meta.get(key)
        if tid is None:
            return ""
        return llama._model.token_get_text(int(tid))

    formatter = Jinja2ChatFormatter(
        template=template,
        eos_token=token_text("tokenizer.ggml.eos_token_id"),
        bos_token=token_text("tokenizer.ggml.bos_token_id"),
    )

    def messages_to_prompt(messages: Sequence[ChatMessage]) -> str:
        rendered = formatter(messages=[{"role": m.role.value, "content": m.content or ""} for m in messages])
        return rendered.prompt

    return messages_to_prompt


class Generator:
    """The configured LLM plus what the service needs around it: a name, a lock, error mapping."""

    def __init__(self, llm: LLM, name: str, serialize: bool):
        self.llm = llm
        self.name = name
        # One llama.cpp context cannot run two generations at once; Ollama queues itself.
        self._lock = threading.Lock() if serialize else None

    def stream(self, messages: Sequence[ChatMessage], max_tokens: int | None = None) -> Iterator[str]:
        """Yield text deltas; connection problems become ``LLMUnavailable``."""
        lock = self._lock or contextlib.nullcontext()
        with lock:
            try:
                if max_tokens is not None and hasattr(self.llm, "generate_kwargs"):
                    self.llm.generate_kwargs["max_tokens"] = max_tokens
                for chunk in self.llm.stream_chat(list(messages)):
                    if chunk.delta:
                        yield chunk.delta
            except LLMUnavailable:
                raise
            except Exception as exc:
                raise _as_unavailable(exc, self.name) from exc
            finally:
                if max_tokens is not None and hasattr(self.llm, "generate_kwargs"):
                    self.llm.generate_kwargs["max_tokens"] = self.llm.max_new_tokens

    def complete(self, messages: Sequence[ChatMessage], max_tokens: int | None = None) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens))


def _as_unavailable(exc: Exception, name: str) -> LLMUnavailable:
    import httpx

    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return LLMUnavailable(f"cannot connect to the LLM server for '{name}': {exc}", hint="start Ollama or check ASSISTANT_OLLAMA_HOST")
    if isinstance(exc, httpx.TimeoutException):
        return LLMUnavailable(f"the LLM '{name}' timed out", hint="raise ASSISTANT_OLLAMA_TIMEOUT or use a smaller model")
    text = str(exc)
    if "not found" in text.lower() and "model" in text.lower():
        return LLMUnavailable(f"the LLM server does not have model '{name}'", hint=f"run `ollama pull {name}`")
    return LLMUnavailable(f"the LLM '{name}' failed: {text or type(exc).__name__}")


def build_generator(settings: Settings) -> Generator:
    if settings.llm_backend == "ollama":
        from llama_index.llms.ollama import Ollama

        llm = Ollama(
            model=settings.ollama_model,
            base_url=settings.ollama_host,
            request_timeout=settings.ollama_timeout,
            temperature=settings.llm_temperature,
            context_window=settings.llm_context,
            additional_kwargs={"num_predict": settings.llm_max_tokens},
        )
        return Generator(llm, f"ollama:{settings.ollama_model}", serialize=False)

    from llama_index.llms.llama_cpp import LlamaCPP

    path = resolve_gguf(settings.llm_model, settings.model_cache_dir)
    try:
        llm = LlamaCPP(
            model_path=str(path),
            temperature=settings.llm_temperature,
            max_new_tokens=settings.llm_max_tokens,
            context_window=settings.llm_context,
            model_kwargs={"n_threads": settings.llm_threads, "n_threads_batch": settings.llm_threads, "verbose": False},
            verbose=False,
        )
    except Exception as exc:
        raise LLMUnavailable(f"cannot load the GGUF model {path}: {exc}", hint="check the file or pick another model") from exc
    llm.messages_to_prompt = _gguf_chat_formatter(llm._model)
    # Plain completions (llama-index's default QA path) go through the same template as a user turn.
    llm.completion_to_prompt = lambda text: llm.messages_to_prompt([ChatMessage(role="user", content=text)])
    return Generator(llm, f"llamacpp:{settings.llm_model if settings.llm_model in str(path) else path.name}", serialize=True)
