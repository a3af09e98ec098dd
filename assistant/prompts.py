"""Prompt templates live in ``prompts/`` as files, one per language where wording differs.

Editors can tune wording without touching code, and a diff of a prompt
change reads like prose. Templates use ``str.format`` fields.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .language import ANSWER_LANGUAGES


@lru_cache(maxsize=64)
def _read(folder: str, name: str) -> str:
    return (Path(folder) / name).read_text(encoding="utf-8")


class Prompts:
    def __init__(self, folder: Path):
        self.folder = str(folder)
        missing = [
            f"{stem}_{lang}.txt"
            for stem in ("system", "question", "condense", "abstain", "retry", "recheck")
            for lang in ANSWER_LANGUAGES
            if not (folder / f"{stem}_{lang}.txt").is_file()
        ]
        if missing:
            raise FileNotFoundError(f"prompt files missing in {folder}: {', '.join(missing)}")

    def get(self, stem: str, lang: str | None = None) -> str:
        name = f"{stem}_{lang}.txt" if lang else f"{stem}.txt"
        return _read(self.folder, name)

    def render(self, stem: str, lang: str | None = None, **fields: str) -> str:
        return self.get(stem, lang).format(**fields).strip()
