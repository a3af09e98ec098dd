"""Real embedders: cross-lingual e5 (default) and a local sentence-transformers folder."""

import numpy as np

from assistant.components.embedding import build_embedding, embedding_id
from assistant.settings import Settings


def _cos(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_e5_matches_an_english_question_to_the_french_passage(shared_embed):
    passages = [
        "Le ministère russe de la Défense a confirmé l'envoi d'une lettre en juillet par le général Valéry Guerassimov au général Joseph Dunford.",
        "Le bombardement de la ville d'Alep a repris après la fin de la trêve.",
        "RT en français utilise des cookies pour améliorer ses services.",
    ]
    vectors = shared_embed.get_text_embedding_batch(passages)
    query = shared_embed.get_query_embedding("Who sent the letter to General Dunford?")
    scores = [_cos(query, v) for v in vectors]
    assert int(np.argmax(scores)) == 0
    assert len(query) == 384


def test_sentence_transformers_loads_the_packaged_model_offline():
    settings = Settings(embedding_backend="sentence-transformers")
    model = build_embedding(settings)
    a, b, c = model.get_text_embedding_batch(["The minister met his counterpart.", "The minister met his colleague.", "Cookies improve our services."])
    assert _cos(a, b) > _cos(a, c)
    assert embedding_id(settings) != embedding_id(Settings())
