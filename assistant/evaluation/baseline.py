"""The naive llama-index pipeline we compare against, on the same questions in the same process.

Same Chroma server or directory, same embedder, same LLM — but llama-index's
defaults everywhere else: ``VectorStoreIndex`` over the raw article files with
the default node parser, the default retriever (top 2) and the default QA
prompt. Its "citations" are its source nodes, which is what a naive RAG app
shows as sources. Abstention is read from its text with the same refusal
matcher as ours, so neither side gets a more lenient judge.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.schema import Document, MetadataMode, QueryBundle
from pydantic import BaseModel

NAIVE_SUFFIX = "-naive"


class BaselineAnswer(BaseModel):
    text: str
    abstained: bool
    retrieved_docs: list[str]
    cited_docs: list[str]
    timings: dict
    prompt_chars: int


class NaiveBaseline:
    def __init__(self, assistant):
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.assistant = assistant
        store = assistant.store
        records = store.doc_records()
        signature = hashlib.sha256("".join(sorted(f"{k}:{v.get('hash')}" for k, v in records.items())).encode()).hexdigest()
        name = assistant.settings.collection + NAIVE_SUFFIX
        collection = store.client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"}, embedding_function=None)
        vector_store = ChromaVectorStore(chroma_collection=collection)
        if (collection.metadata or {}).get("signature") != signature or collection.count() == 0:
            store.client.delete_collection(name)
            collection = store.client.create_collection(name, metadata={"hnsw:space": "cosine", "signature": signature}, embedding_function=None)
            vector_store = ChromaVectorStore(chroma_collection=collection)
            documents = [Document(text=self._raw_text(doc_id, rec), metadata={"doc_key": doc_id}, id_=doc_id) for doc_id, rec in records.items()]
            VectorStoreIndex.from_documents(
                documents, storage_context=StorageContext.from_defaults(vector_store=vector_store), embed_model=assistant.embed_model
            )
        self.index = VectorStoreIndex.from_vector_store(vector_store, embed_model=assistant.embed_model)
        self.engine = self.index.as_query_engine(llm=assistant.generator.llm, streaming=True)

    def _raw_text(self, doc_id: str, record: dict) -> str:
        """The article as a naive pipeline would read it: the raw file when we have one."""
        source = record.get("source")
        if source and Path(source).suffix.lower() in {".txt", ".md"} and Path(source).is_file():
            try:
                return Path(source).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                pass
        return self.assistant.article_text(doc_id) or ""

    def prompt_for(self, question: str) -> str:
        """The exact prompt text the naive pipeline sends to the LLM for ``question``."""
        nodes = self.engine.retrieve(QueryBundle(question))
        template = self.engine.get_prompts()["response_synthesizer:text_qa_template"]
        context = "\n\n".join(n.node.get_content(metadata_mode=MetadataMode.LLM) for n in nodes)
        prompt = template.format(context_str=context, query_str=question, llm=self.assistant.generator.llm)
        llm = self.assistant.generator.llm
        return llm.completion_to_prompt(prompt) if getattr(llm, "completion_to_prompt", None) else prompt

    def ask(self, question: str) -> BaselineAnswer:
        from ..service import refuses

        t0 = time.perf_counter()
        bundle = QueryBundle(question)
        nodes = self.engine.retrieve(bundle)
        retrieval = time.perf_counter() - t0
        response = self.engine.synthesize(bundle, nodes)
        first = None
        pieces = []
        for delta in response.response_gen:
            if first is None:
                first = time.perf_counter() - t0
            pieces.append(delta)
        text = "".join(pieces).strip()
        docs = [n.node.metadata.get("doc_key", "") for n in nodes]
        abstained = refuses(text)
        return BaselineAnswer(
            text=text,
            abstained=abstained,
            retrieved_docs=docs,
            cited_docs=[] if abstained else docs,
            timings={"retrieval": retrieval, "first_token": first, "total": time.perf_counter() - t0},
            prompt_chars=len(self.prompt_for(question)),
        )
