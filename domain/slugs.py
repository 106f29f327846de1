"""Slugs: `[a-z0-9-]+`, German letters transliterated (ä→ae, ö→oe, ü→ue, ß→ss)."""

from __future__ import annotations

import re
import unicodedata

_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue", "ẞ": "ss"}
)
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str) -> str:
    """Return the slug of ``text``: ``"Görlitz Süd"`` → ``"goerlitz-sued"``."""
    composed = unicodedata.normalize("NFC", text).translate(_GERMAN)
    ascii_text = unicodedata.normalize("NFKD", composed).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def is_slug(value: str) -> bool:
    return bool(SLUG_PATTERN.match(value))
