"""Remove scraped site furniture from article text and keep what the text says about itself.

Scraped articles carry cookie banners, "follow us" prompts, related-article
links, photo credits, embedded tweets and comment boxes. Left in, they become
passages that the retriever happily returns ("cookies", "Telegram") and that
the LLM may cite. The rules are line-based because scrapers put each piece of
furniture on its own line; each rule was checked against the shipped corpus
(see tests/ingest/test_cleaning.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Whole lines that are furniture, never article content.
_DROP_LINE = [
    r"^suivez\s+rt\s+en\s+fran[cç]ais\s*sur\s*\w+",
    r"^lire\s+aussi\s*:",
    r"^(?:à|a)\s+lire\s+(?:aussi|également)\s*:",
    r"^(?:voir|read)\s+(?:aussi|also)\s*:",
    r"\butilise\s+des\s+cookies\b|\bcookies?\b.*\b(?:accepte|consent|param[ée]tr|politique|vos\s+droits)",
    r"^en\s+cliquant\s+sur\s+[\"«]?tout\s+accepter",
    r"^tout\s+accepter",
    r"tout\s+refuser",
    r"param[ée]trer\s+vos\s+choix",
    r"politique\s+de\s+confidentialit[ée]",
    r"^(?:ok|accepter|j'accepte)$",
    r"^raconter\s+l'actualit[ée]$",
    r"vous\s+devez\s+[êe]tre\s+membre",
    r"^devenez\s+membre",
    r"^aucun\s+commentaire",
    r"^\d+\s+commentaires?$",
    r"^(?:ajouter|laisser)\s+un\s+commentaire",
    r"^vous\s+avez\s+rep[ée]r[ée]\s+une\s+erreur",
    r"^contenu\s+partenaire$",
    r"^abonnez-vous",
    r"^inscrivez-vous\s+[àa]\s+(?:la|notre)\s+newsletter",
    r"^image\s+d'illustration\b",
    r"©",  # photo credits and captions carrying them
    r"pic\.twitter\.com|https?://t\.co/",  # embedded tweet bodies
    r"^[—–-]\s*.+\(@\w+\)\s+\d{1,2}\s+\w+\s+\d{4}$",  # embedded tweet signature
    r"^le\s*,\s*mis\s+[àa]\s+jour",  # empty timestamp template
    r"^\d{1,3}$",  # stray counters (share / comment counts)
]
_DROP_RE = [re.compile(p, re.IGNORECASE) for p in _DROP_LINE]

# Inline furniture inside otherwise good lines.
_INLINE = [
    re.compile(r"\s*\(voir\s+ID:\w+\s*\)", re.IGNORECASE),  # Reuters cross-reference codes
]

_META_DATE = re.compile(r"^\s*date\s+(\d{4}(?:-\d{2}){0,2})\b\s*", re.IGNORECASE)
_REUTERS_DATELINE = re.compile(r"^[A-ZÀ-Ü' -]{3,},\s+\d{1,2}\s+\w+\s+\(Reuters\)\s+-", re.MULTILINE)
_KNOWN_OUTLETS = {
    "le vif": "Le Vif",
    "le monde": "Le Monde",
    "le figaro": "Le Figaro",
    "libération": "Libération",
    "sputnik": "Sputnik",
    "afp": "AFP",
}
_RT_MARKER = re.compile(r"suivez\s+rt\s+en\s+fran[cç]ais|rt\s+en\s+fran[cç]ais\s+utilise\s+des\s+cookies", re.IGNORECASE)
_TITLE_MAX = 200


@dataclass
class CleanArticle:
    text: str
    title: str | None
    outlet: str | None
    date: str | None


def _norm(line: str) -> str:
    return re.sub(r"\s+", " ", line.replace("\u00a0", " ")).strip()


def detect_outlet(raw: str) -> str | None:
    """Name the outlet only when the text itself says it (a signature, a masthead line)."""
    if _RT_MARKER.search(raw):
        return "RT en français"
    if _REUTERS_DATELINE.search(raw):
        return "Reuters"
    for line in raw.splitlines()[:15]:
        key = _norm(line).lower()
        if key in _KNOWN_OUTLETS:
            return _KNOWN_OUTLETS[key]
    return None


def _is_furniture(line: str) -> bool:
    return any(r.search(line) for r in _DROP_RE)


def _title_from(text: str) -> str | None:
    first = text.split("\n", 1)[0].strip()
    if not first:
        return None
    if len(first) <= _TITLE_MAX:
        return first
    cut = first[:_TITLE_MAX].rsplit(" ", 1)[0]
    return cut + "…"


def clean_text(raw: str, title: str | None = None) -> CleanArticle:
    """Return the article body with furniture removed, plus title/outlet/date found in the text.

    The title is the first remaining line when it looks like a headline; a
    repeated headline (masthead + article heading) is kept once.
    """
    outlet = detect_outlet(raw)
    date = None
    lines_in = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for line in lines_in:
        line = _norm(line)
        if not kept and not date:
            m = _META_DATE.match(line)
            if m:
                date = m.group(1)
                line = line[m.end():].strip()
        if not line:
            continue
        if _is_furniture(line):
            continue
        for pattern in _INLINE:
            line = pattern.sub("", line)
        if _norm(line).lower() in _KNOWN_OUTLETS:
            continue
        # A line repeating an earlier one (headline shown twice) adds nothing.
        if line in kept:
            continue
        kept.append(line)

    if title is None and kept and len(kept[0]) <= _TITLE_MAX and not kept[0].endswith((".", "»", '"')):
        title = kept[0]
    elif title is None and kept:
        title = _title_from(kept[0])
    text = "\n\n".join(kept)
    return CleanArticle(text=text, title=title, outlet=outlet, date=date)
