"""Ingestion against a real Chroma index and the real e5 embedder."""

import json
import shutil

import pytest

from assistant.errors import EmbeddingMismatch
from assistant.settings import Settings
from tests.conftest import CORPUS


def _copy_corpus(tmp_path):
    folder = tmp_path / "articles"
    shutil.copytree(CORPUS, folder)
    return folder


def test_ingest_is_idempotent(fresh_assistant, tmp_path):
    folder = _copy_corpus(tmp_path)
    first = fresh_assistant.ingest([folder], progress=False)
    assert len(first.added) == 5 and first.passages_embedded > 10
    count = fresh_assistant.store.count()
    ids_before = set(fresh_assistant.store.passages.get(include=[])["ids"])

    second = fresh_assistant.ingest([folder], progress=False)
    assert second.passages_embedded == 0
    assert sorted(second.unchanged) == sorted(first.added)
    assert fresh_assistant.store.count() == count
    assert set(fresh_assistant.store.passages.get(include=[])["ids"]) == ids_before


def test_changed_article_replaces_only_its_passages(fresh_assistant, tmp_path):
    folder = _copy_corpus(tmp_path)
    fresh_assistant.ingest([folder], progress=False)
    target = folder / "004_d9708b5f1dfb3cd5.txt"
    others_before = {d.doc_id: d.passages for d in fresh_assistant.documents() if d.doc_id != target.name}
    target.write_text("Un titre neuf\n\nLe ministre a annoncé une nouvelle rencontre à Genève le 3 mars.\n")

    report = fresh_assistant.ingest([folder], progress=False)
    assert report.updated == [target.name]
    assert report.passages_embedded == 1
    texts = fresh_assistant.store.passages.get(where={"doc_id": target.name}, include=["documents"])["documents"]
    assert len(texts) == 1 and "Genève" in texts[0]
    assert not any("Choïgou" in t for t in fresh_assistant.store.all_passages()[1])
    assert {d.doc_id: d.passages for d in fresh_assistant.documents() if d.doc_id != target.name} == others_before


def test_prune_removes_documents_whose_files_are_gone(fresh_assistant, tmp_path):
    folder = _copy_corpus(tmp_path)
    fresh_assistant.ingest([folder], progress=False)
    (folder / "003_15df5f8cc0ffe991.txt").unlink()
    kept = fresh_assistant.ingest([folder], progress=False)
    assert kept.removed == [] and len(fresh_assistant.documents()) == 5  # no prune: nothing lost
    pruned = fresh_assistant.ingest([folder], prune=True, progress=False)
    assert pruned.removed == ["003_15df5f8cc0ffe991.txt"]
    assert "003_15df5f8cc0ffe991.txt" not in {d.doc_id for d in fresh_assistant.documents()}
    assert fresh_assistant.store.passages.get(where={"doc_id": "003_15df5f8cc0ffe991.txt"}, include=[])["ids"] == []


def test_bad_files_are_skipped_with_a_reason_and_nothing_is_lost(fresh_assistant, tmp_path):
    folder = _copy_corpus(tmp_path)
    fresh_assistant.ingest([folder], progress=False)
    count = fresh_assistant.store.count()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" + bytes(range(256)))
    (bad / "latin1.txt").write_bytes("Le ministre a déclaré à la presse".encode("latin-1"))
    (bad / "empty.md").write_text("")
    (bad / "blank.txt").write_text("   \n\n  ")
    (bad / "image.png").write_bytes(b"\x89PNG")
    (bad / "furniture.txt").write_text("Suivez RT en français surTelegram\nLire aussi : autre chose\n")
    (bad / "broken.jsonl").write_text('{"id": "ok1", "text": "Un article valide sur Genève."}\nnot json\n{"id": "x"}\n')

    report = fresh_assistant.ingest([bad, tmp_path / "missing.txt"], progress=False)
    reasons = {s.path.split("/")[-1]: s.reason for s in report.skipped}
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "empty" in reasons["empty.md"] and "empty" in reasons["blank.txt"]
    assert "unsupported file type" in reasons["image.png"]
    assert "boilerplate" in reasons["furniture.txt"]
    assert "invalid JSON" in reasons["broken.jsonl:2"]
    assert '"text"' in reasons["broken.jsonl:3"]
    assert "no such file" in reasons["missing.txt"]
    assert report.added == ["ok1"]
    assert fresh_assistant.store.count() == count + 1


def test_jsonl_and_html_articles_keep_their_metadata(fresh_assistant, tmp_path):
    (tmp_path / "wire.jsonl").write_text(
        json.dumps({"id": "w1", "title": "Sommet à Genève", "outlet": "AFP", "date": "2019-03-02", "url": "http://x", "text": "Les deux ministres se sont rencontrés à Genève."})
        + "\n"
    )
    (tmp_path / "page.html").write_text(
        "<html><head><title>Rencontre à Vienne</title></head><body><nav>Menu Accueil Politique</nav>"
        "<article><h1>Rencontre à Vienne</h1><p>Les diplomates russes et américains se sont retrouvés à Vienne pour discuter de la Syrie pendant trois heures.</p>"
        "<p>Aucun accord n'a été annoncé à l'issue de la réunion, selon les deux délégations.</p></article>"
        "<footer>Tous droits réservés</footer></body></html>"
    )
    report = fresh_assistant.ingest([tmp_path], progress=False)
    assert sorted(report.added) == ["page.html", "w1"]
    docs = {d.doc_id: d for d in fresh_assistant.documents()}
    assert docs["w1"].outlet == "AFP" and docs["w1"].date == "2019-03-02" and docs["w1"].title == "Sommet à Genève"
    assert docs["w1"].lang == "fr"
    html_text = fresh_assistant.article_text("page.html")
    assert "Vienne" in html_text and "Menu Accueil" not in html_text and "Tous droits" not in html_text


def test_progress_is_reported(fresh_assistant):
    seen = []
    fresh_assistant.ingest([CORPUS], progress=False, on_progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] > 0


def test_other_embedding_model_is_refused_with_rebuild_hint(corpus_assistant, tmp_path):
    from assistant.components.embedding import embedding_id
    from assistant.components.vector_store import Store

    other = Settings(index_dir=corpus_assistant.settings.index_dir, embedding_backend="sentence-transformers")
    with pytest.raises(EmbeddingMismatch) as info:
        Store(other, embedding_id(other))
    assert "--rebuild" in info.value.hint
