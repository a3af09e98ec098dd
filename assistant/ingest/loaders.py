"""Turn files into cleaned articles, refusing what is not text with one clear reason each.

Every refusal is reported, never raised: one bad file in a folder of hundreds
must not stop the others from being indexed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..language import detect_language
from ..schemas import SkippedFile
from .cleaning import clean_text

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"}
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class Article:
    doc_id: str
    text: str  # cleaned; passage offsets index into this
    source: str
    title: str | None = None
    outlet: str | None = None
    date: str | None = None
    url: str | None = None
    lang: str | None = None
    extra: dict = field(default_factory=dict)


class Skip(Exception):
    """A file (or jsonl line) that cannot be ingested; the message is the reason."""


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Skip(f"cannot read file: {exc.strerror or exc}") from exc
    if size == 0:
        raise Skip("empty file")
    if size > MAX_FILE_BYTES:
        raise Skip(f"file too large ({size} bytes > {MAX_FILE_BYTES})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Skip(f"cannot read file: {exc.strerror or exc}") from exc
    if b"\x00" in data[:8192]:
        raise Skip("binary content (NUL bytes), not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Skip(f"not valid UTF-8 text (byte {exc.start}); re-save the file as UTF-8") from exc
    if not text.strip():
        raise Skip("empty file (only whitespace)")
    return text


def _finish(doc_id: str, raw: str, source: str, *, title=None, outlet=None, date=None, url=None, lang=None, clean=True) -> Article:
    cleaned = clean_text(raw, title=title) if clean else None
    text = cleaned.text if cleaned else raw.strip()
    if not text.strip():
        raise Skip("no article text left after removing site boilerplate")
    return Article(
        doc_id=doc_id,
        text=text,
        source=source,
        title=title or (cleaned.title if cleaned else None),
        outlet=outlet or (cleaned.outlet if cleaned else None),
        date=date or (cleaned.date if cleaned else None),
        url=url,
        lang=lang or detect_language(text[:2000], default="fr"),
    )


def _load_plain(path: Path) -> list[Article]:
    raw = _read_text(path)
    if path.suffix.lower() in {".md", ".markdown"}:
        raw = "\n".join(line.lstrip("#").strip() if line.startswith("#") else line for line in raw.splitlines())
    return [_finish(path.name, raw, str(path))]


def _load_html(path: Path) -> list[Article]:
    import trafilatura

    raw = _read_text(path)
    doc = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False, include_tables=False)
    if doc is None or not (doc.text or "").strip():
        raise Skip("no article text found in the HTML")
    title = doc.title or None
    body = doc.text
    if title and not body.startswith(title):
        body = f"{title}\n\n{body}"
    return [_finish(path.name, body, str(path), title=title, outlet=doc.sitename or None, date=doc.date or None, url=doc.url or None)]


def _load_jsonl(path: Path, skipped: list[SkippedFile]) -> list[Article]:
    raw = _read_text(path)
    articles: list[Article] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            skipped.append(SkippedFile(path=where, reason=f"invalid JSON ({exc.msg})"))
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"].strip():
            skipped.append(SkippedFile(path=where, reason='missing or empty "text" field'))
            continue
        doc_id = str(record.get("id") or f"{path.name}#{number}")
        try:
            articles.append(
                _finish(
                    doc_id,
                    record["text"],
                    str(path),
                    title=record.get("title"),
                    outlet=record.get("outlet") or record.get("source"),
                    date=record.get("date"),
                    url=record.get("url"),
                    lang=record.get("lang"),
                )
            )
        except Skip as exc:
            skipped.append(SkippedFile(path=where, reason=str(exc)))
    return articles


def iter_files(paths: list[Path]) -> tuple[list[Path], list[SkippedFile]]:
    """Expand directories (recursively, sorted) and reject unknown types up front."""
    files: list[Path] = []
    skipped: list[SkippedFile] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name.startswith("."):
                    continue
                if child.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.append(child)
                else:
                    skipped.append(SkippedFile(path=str(child), reason=f"unsupported file type '{child.suffix or '(none)'}'"))
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(path)
            else:
                skipped.append(SkippedFile(path=str(path), reason=f"unsupported file type '{path.suffix or '(none)'}'"))
        else:
            skipped.append(SkippedFile(path=str(path), reason="no such file or directory"))
    return files, skipped


def load_file(path: Path, skipped: list[SkippedFile]) -> list[Article]:
    """Articles in ``path``; problems are appended to ``skipped``."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            return _load_jsonl(path, skipped)
        if suffix in {".html", ".htm"}:
            return _load_html(path)
        return _load_plain(path)
    except Skip as exc:
        skipped.append(SkippedFile(path=str(path), reason=str(exc)))
        return []
