"""Split a cleaned article into passages on sentence boundaries, with exact offsets.

Offsets index into the cleaned article text, so ``text[start:end]`` is the
passage: a UI can highlight the cited span inside its article, and a test can
check the round trip. Ids hash the document id with the passage text, so an
unchanged passage keeps its id across re-ingestion (nothing to re-embed) and a
changed one gets a new id (no stale vector survives).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

# pysbd's languages; anything else falls back to English rules.
_SEGMENTER_LANGS = {"en", "fr", "de", "es", "it", "nl", "pl", "ru", "da"}


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@lru_cache(maxsize=8)
def _segmenter(lang: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=lang if lang in _SEGMENTER_LANGS else "en", clean=False, char_span=True)


def sentence_spans(text: str, lang: str = "fr") -> list[Span]:
    """Sentence spans (whitespace trimmed). Paragraph breaks always end a sentence."""
    spans: list[Span] = []
    for para in re.finditer(r"[^\n]+", text):
        base = para.start()
        para_text = para.group(0)
        for seg in _segmenter(lang).segment(para_text):
            start = base + seg.start
            end = base + seg.end
            # trim whitespace so spans start and end on characters
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                spans.append(Span(start, end))
    return spans


def passage_id(doc_id: str, text: str) -> str:
    return hashlib.sha1(f"{doc_id}\x00{text}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str
    char_start: int
    char_end: int


def split_passages(doc_id: str, text: str, lang: str = "fr", target_chars: int = 500) -> list[Chunk]:
    """Greedily pack whole sentences until adding one would pass ``target_chars``.

    A single sentence longer than the target stays whole: cutting it would
    leave a passage that cannot support a citation on its own.
    """
    spans = sentence_spans(text, lang)
    groups: list[list[Span]] = []
    for span in spans:
        if groups and (span.end - groups[-1][0].start) <= target_chars:
            groups[-1].append(span)
        else:
            groups.append([span])
    # Merge a tiny trailing group into the previous one (a lone short sentence
    # retrieves poorly and cites poorly).
    if len(groups) > 1 and (groups[-1][-1].end - groups[-1][0].start) < target_chars // 5:
        tail = groups.pop()
        groups[-1].extend(tail)
    chunks = []
    for group in groups:
        start, end = group[0].start, group[-1].end
        body = text[start:end]
        chunks.append(Chunk(id=passage_id(doc_id, body), text=body, char_start=start, char_end=end))
    return chunks
