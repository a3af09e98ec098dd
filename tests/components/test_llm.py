"""LLM backends: Ollama over real HTTP (to a stand-in process running a real model), and failures."""

import pytest
from llama_index.core.llms import ChatMessage

from assistant import Assistant
from assistant.components.llm import build_generator
from assistant.components.model_files import SHIPPED_MODELS, resolve_gguf
from assistant.errors import LLMUnavailable, ModelNotInstalled
from assistant.settings import Settings
from tests.conftest import SMALL_LLM, free_port, start_ollama_standin, stop


@pytest.fixture(scope="module")
def ollama_server():
    port = free_port()
    proc = start_ollama_standin(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def test_ollama_backend_streams_and_completes(ollama_server):
    gen = build_generator(Settings(llm_backend="ollama", ollama_host=ollama_server, ollama_model="qwen-test", llm_max_tokens=24))
    messages = [ChatMessage(role="user", content="In one sentence, what is the capital of France?")]
    deltas = list(gen.stream(messages))
    assert len(deltas) > 1, "expected several streamed chunks"
    assert "paris" in "".join(deltas).lower()
    # non-streaming path of the same client
    reply = gen.llm.chat(messages)
    assert "paris" in reply.message.content.lower()


def test_full_answer_through_ollama_http(ollama_server, corpus_assistant, tmp_path):
    settings = corpus_assistant.settings.model_copy(update={"llm_backend": "ollama", "ollama_host": ollama_server, "ollama_model": "qwen-test"})
    assistant = Assistant(settings)
    assistant._embed = corpus_assistant.embed_model
    result = assistant.ask("Combien de citoyens syriens pourraient rentrer dans leur pays selon la Russie ?")
    assert result.models["llm"] == "ollama:qwen-test"
    assert not result.abstained
    assert "890" in result.text
    assert any(c.doc_id == "000_55f2b78b0a1d9555.txt" for c in result.citations)


def test_unknown_ollama_model_is_a_clear_error(ollama_server):
    gen = build_generator(Settings(llm_backend="ollama", ollama_host=ollama_server, ollama_model="nope"))
    with pytest.raises(LLMUnavailable):
        list(gen.stream([ChatMessage(role="user", content="hi")]))


def test_unreachable_llm_gives_clear_error_and_index_untouched(corpus_assistant):
    settings = corpus_assistant.settings.model_copy(update={"llm_backend": "ollama", "ollama_host": f"http://127.0.0.1:{free_port()}", "ollama_timeout": 5})
    assistant = Assistant(settings)
    assistant._embed = corpus_assistant.embed_model
    before = assistant.store.count()
    with pytest.raises(LLMUnavailable) as info:
        assistant.ask("Who was accused of leaking the letter?")
    assert "Ollama" in info.value.hint or "connect" in info.value.message
    assert assistant.store.count() == before


def test_unknown_or_missing_gguf(tmp_path):
    with pytest.raises(ModelNotInstalled) as info:
        resolve_gguf("no-such-model", tmp_path)
    assert "qwen2.5-coder-1.5b" in info.value.hint
    with pytest.raises(ModelNotInstalled):
        resolve_gguf(str(tmp_path / "absent.gguf"), tmp_path)


def test_shipped_model_is_assembled_and_verified(tmp_path):
    model = SHIPPED_MODELS[SMALL_LLM]
    path = resolve_gguf(SMALL_LLM, tmp_path)
    assert path.stat().st_size == model.size
    assert path.with_suffix(".verified").read_text().strip() == model.sha256
    assert path.read_bytes()[:4] == b"GGUF"
