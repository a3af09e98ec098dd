"""Shared fixtures: real Chroma indexes in temp dirs, the real e5 embedder, real GGUF models.

Building an index or loading a model takes seconds, so the read-only ones are
session-scoped; tests that change an index get their own directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant import Assistant, Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SMALL_LLM = os.environ.get("ASSISTANT_TEST_LLM", "qwen2.5-coder-0.5b")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    import httpx

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(url)


def make_settings(tmp: Path, **overrides) -> Settings:
    base = dict(index_dir=tmp / "index", llm_model=SMALL_LLM)
    base.update(overrides)
    return Settings(**base)


@pytest.fixture(scope="session")
def shared_embed():
    from assistant.components.embedding import build_embedding

    return build_embedding(Settings())


@pytest.fixture(scope="session")
def corpus_assistant(tmp_path_factory, shared_embed) -> Assistant:
    """The shipped corpus indexed once, with the small LLM; treat as read-only."""
    tmp = tmp_path_factory.mktemp("corpus")
    assistant = Assistant(make_settings(tmp))
    assistant._embed = shared_embed
    assistant.ingest([CORPUS], progress=False)
    return assistant


@pytest.fixture
def fresh_assistant(tmp_path, shared_embed) -> Assistant:
    """An empty index of its own (for tests that write)."""
    assistant = Assistant(make_settings(tmp_path))
    assistant._embed = shared_embed
    return assistant


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    """A real `chroma run` server on loopback; waits for its heartbeat."""
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    proc = subprocess.Popen([exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc=proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def start_ollama_standin(port: int, *extra: str) -> subprocess.Popen:
    """tests/ollama_standin.py (Ollama's HTTP API answered by a real llama.cpp model)."""
    from assistant.components.model_files import resolve_gguf

    gguf = resolve_gguf(SMALL_LLM, Settings().model_cache_dir)
    script = Path(__file__).resolve().parent / "ollama_standin.py"
    proc = subprocess.Popen([sys.executable, str(script), "--model", str(gguf), "--name", "qwen-test", "--port", str(port), *extra])
    wait_http(f"http://127.0.0.1:{port}/api/version", proc=proc, timeout=120)
    return proc


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    port = free_port()
    proc = start_chroma(tmp_path_factory.mktemp("chroma-server"), port)
    try:
        yield {"host": "127.0.0.1", "port": port, "proc": proc}
    finally:
        stop(proc)
