"""Language detection for questions and articles.

Questions are short ("Who sent it?"), where n-gram detectors guess wildly;
lingua is built for short text. Restricting it to the languages a newsroom
here works in keeps it fast and stops "Qui ?" from being read as Italian.
"""

from __future__ import annotations

from functools import lru_cache

from lingua import Language, LanguageDetectorBuilder

_SUPPORTED = {
    Language.ENGLISH: "en",
    Language.FRENCH: "fr",
    Language.GERMAN: "de",
    Language.SPANISH: "es",
    Language.ITALIAN: "it",
}
# The answer languages that have prompts and canned messages.
ANSWER_LANGUAGES = ("en", "fr")


@lru_cache(maxsize=1)
def _detector():
    return LanguageDetectorBuilder.from_languages(*_SUPPORTED).with_preloaded_language_models().build()


def detect_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of ``text``; ``default`` when the text gives no signal."""
    if not text or not text.strip():
        return default
    found = _detector().detect_language_of(text)
    return _SUPPORTED.get(found, default) if found is not None else default


def answer_language(question: str) -> str:
    """Language to answer in: the question's, if we have prompts for it, else English."""
    lang = detect_language(question, default="en")
    return lang if lang in ANSWER_LANGUAGES else "en"
