"""Hybrid retrieval over the real corpus index."""

import pytest

from assistant.schemas import Filters

CASES = [
    ("Who sent the confidential letter, and to whom?", "en", {"000_55f2b78b0a1d9555.txt", "001_8c149a3a79ef84b9.txt"}),
    ("Where was John Kerry when he said US-Russia talks would be an important step?", "en", {"004_d9708b5f1dfb3cd5.txt"}),
    ("Quelle ville la Russie bombardait-elle selon l'ultimatum de John Kerry ?", "fr", {"003_15df5f8cc0ffe991.txt"}),
]


@pytest.mark.parametrize("question,lang,sources", CASES)
def test_cross_lingual_question_finds_the_french_passage(corpus_assistant, question, lang, sources):
    out = corpus_assistant.retriever.retrieve(question, 3, None, lang)
    assert out.passages[0].doc_id in sources
    assert out.passages[0].lang == "fr"
    assert out.best_dense > 0.78


def test_passages_carry_offsets_into_the_article(corpus_assistant):
    out = corpus_assistant.retriever.retrieve("890 000 citoyens syriens", 2, None, "fr")
    p = out.passages[0]
    article = corpus_assistant.article_text(p.doc_id)
    assert article[p.char_start : p.char_end] == p.text
    assert "890 000" in p.text


def test_outlet_filter(corpus_assistant):
    out = corpus_assistant.retriever.retrieve("Who sent the letter?", 5, Filters(outlets=["Reuters"]), "en")
    assert out.passages and {p.outlet for p in out.passages} == {"Reuters"}


def test_doc_id_filter(corpus_assistant):
    out = corpus_assistant.retriever.retrieve("Syrie", 5, Filters(doc_ids=["002_27ca0a4dde6cff53.txt"]), "fr")
    assert out.passages and {p.doc_id for p in out.passages} == {"002_27ca0a4dde6cff53.txt"}


def test_date_range_filter(corpus_assistant):
    # Only 001 states its date (2018-08); a month-precision date matches a range ending that month.
    out = corpus_assistant.retriever.retrieve("lettre confidentielle", 5, Filters(date_from="2018-01", date_to="2018-08"), "fr")
    assert out.passages and {p.doc_id for p in out.passages} == {"001_8c149a3a79ef84b9.txt"}
    none = corpus_assistant.retriever.retrieve("lettre confidentielle", 5, Filters(date_from="2019"), "fr")
    assert none.passages == []


def test_fusion_modes_all_rank_the_answer_first(corpus_assistant):
    from assistant.retrieval import HybridRetriever

    for fusion in ("dense", "rrf", "language-aware"):
        r = HybridRetriever(corpus_assistant.store, corpus_assistant.embed_model, candidates=20, fusion=fusion)
        out = r.retrieve("Comment Sergueï Choïgou a-t-il qualifié les activités russes en Syrie ?", 3, None, "fr")
        assert out.passages[0].doc_id == "004_d9708b5f1dfb3cd5.txt", fusion


def _article(folder, name, word):
    path = folder / name
    path.write_text(f"Un article de test sur {word}\n\nLe ministre a parlé de {word} pendant la conférence de presse à Genève.\n")
    return path


def test_bm25_sees_this_process_writes_at_once_without_rereading_records(fresh_assistant, tmp_path):
    a = fresh_assistant
    docs = tmp_path / "docs"
    docs.mkdir()
    a.ingest([_article(docs, "a.txt", "Zorglubovitch")], progress=False)
    lexical = a.retriever.lexical
    assert lexical.search("Zorglubovitch", 3)
    reads = []
    real = a.store.doc_records
    a.store.doc_records = lambda: reads.append(1) or real()  # a spy on the real method
    for _ in range(5):
        assert lexical.search("Zorglubovitch", 3)
    assert reads == [], "no write happened: the freshness check must not read every record"
    a.ingest([_article(docs, "b.txt", "Quetzalcoatlov")], progress=False)
    assert lexical.search("Quetzalcoatlov", 3), "a write through this process is seen by the next query"


def test_bm25_sees_another_process_writes_at_once(chroma_server, tmp_path, shared_embed):
    import os
    import subprocess
    import sys

    from assistant import Assistant
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, chroma_host=chroma_server["host"], chroma_port=chroma_server["port"], collection="lexical-test")
    a = Assistant(settings)
    a._embed = shared_embed
    docs = tmp_path / "docs"
    docs.mkdir()
    a.ingest([_article(docs, "a.txt", "Zorglubovitch")], progress=False)
    assert a.retriever.lexical.search("Zorglubovitch", 3)
    env = {**os.environ, "ASSISTANT_CHROMA_HOST": chroma_server["host"], "ASSISTANT_CHROMA_PORT": str(chroma_server["port"]),
           "ASSISTANT_COLLECTION": "lexical-test"}
    other = _article(docs, "b.txt", "Quetzalcoatlov")
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", str(other)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert a.retriever.lexical.search("Quetzalcoatlov", 3), "another process's write is seen by the next query"
