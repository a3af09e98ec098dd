"""Citation verification with the real embedder (no LLM needed)."""

import pytest

from assistant.citations import fold, verify
from assistant.schemas import RetrievedPassage

TEXTS = [
    "Le ministère russe de la Défense a confirmé l'envoi d'une lettre en juillet par le général Valéry Guerassimov au général Joseph Dunford.",
    "Environ 890 000 citoyens syriens pourraient retourner dans leur pays au cours des mois à venir.",
    "Le secrétaire d'Etat John Kerry était en visite à Londres.",
]


@pytest.fixture(scope="module")
def passages(shared_embed):
    ps = [RetrievedPassage(id=f"p{i}", doc_id=f"d{i}", text=t, char_start=0, char_end=len(t), score=1.0) for i, t in enumerate(TEXTS)]
    vecs = shared_embed.get_text_embedding_batch(TEXTS)
    return ps, vecs


def run(answer, passages, embed, lang="en"):
    ps, vecs = passages
    return verify(answer, ps, vecs, embed.get_query_embedding, lang)


def test_numbers_naming_no_passage_are_removed(passages, shared_embed):
    out = run("The letter was sent by Guerassimov to Dunford [1][7]. About 890,000 Syrians could return [0][2].", passages, shared_embed)
    assert out.sentences[0].citations == [1]
    assert out.sentences[1].citations == [2]
    assert "[7]" not in out.text and "[0]" not in out.text
    assert [c.number for c in out.citations] == [1, 2]


def test_uncited_sentence_gets_the_supporting_passage(passages, shared_embed):
    out = run("General Gerasimov sent the letter to General Dunford in July.", passages, shared_embed)
    assert out.sentences[0].citations == [1]
    assert out.sentences[0].attributed and out.sentences[0].supported
    assert out.citations[0].doc_id == "d0"


def test_french_uncited_sentence_is_attributed_lexically(passages, shared_embed):
    out = run("Environ 890 000 citoyens syriens pourraient rentrer.", passages, shared_embed, "fr")
    assert out.sentences[0].citations == [2]


def test_unsupported_sentence_is_flagged(passages, shared_embed):
    out = run("Kerry was in London [3]. The price of oil reached 80 dollars per barrel.", passages, shared_embed)
    assert out.sentences[0].supported and out.sentences[0].citations == [3]
    assert not out.sentences[1].supported and out.sentences[1].citations == []


def test_citations_point_to_exact_passage_spans(passages, shared_embed):
    out = run("Kerry was in London [3].", passages, shared_embed)
    c = out.citations[0]
    assert TEXTS[2][c.char_start : c.char_end] == c.text


def test_fold_normalises_accents_case_and_spaces():
    assert fold("890\u202f000  Étas-Unis") == "890 000 etas-unis"
