"""Chroma embedded and client/server modes; a missing or corrupted index gives an actionable error."""

import pytest

from assistant import Assistant
from assistant.errors import IndexCorrupted, IndexMissing, StoreUnavailable
from tests.conftest import CORPUS, free_port, make_settings


def test_server_mode_against_real_chroma_run(chroma_server, tmp_path, shared_embed):
    settings = make_settings(tmp_path, chroma_host=chroma_server["host"], chroma_port=chroma_server["port"], collection="server-test")
    assistant = Assistant(settings)
    assistant._embed = shared_embed
    report = assistant.ingest([CORPUS], progress=False)
    assert len(report.added) == 5
    assert not (tmp_path / "index").exists(), "server mode must not write the embedded index"
    out = assistant.retriever.retrieve("Combien de citoyens syriens pourraient rentrer dans leur pays ?", 3, None, "fr")
    assert out.passages[0].doc_id == "000_55f2b78b0a1d9555.txt"
    again = assistant.ingest([CORPUS], progress=False)
    assert again.passages_embedded == 0


def test_unreachable_chroma_server_is_a_clear_error(tmp_path):
    settings = make_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreUnavailable) as info:
        Assistant(settings).documents()
    assert "Chroma server" in info.value.message


def test_missing_index_says_how_to_build_it(tmp_path):
    assistant = Assistant(make_settings(tmp_path))
    with pytest.raises(IndexMissing) as info:
        assistant.ask("Who was accused of leaking the letter?")
    assert "assistant ingest" in info.value.hint
    assert not (tmp_path / "index").exists(), "asking must not create an empty index"


def test_corrupted_index_is_reported_not_crashed(tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    (index / "chroma.sqlite3").write_bytes(b"this is not a sqlite database" * 100)
    with pytest.raises((IndexCorrupted, IndexMissing)) as info:
        Assistant(make_settings(tmp_path)).documents()
    assert "rebuild" in (info.value.hint or "") or "ingest" in (info.value.hint or "")
