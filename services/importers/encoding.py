"""Text files as real offices have them: UTF-8 (with or without BOM) or Windows-1252 (cp1252, what
Excel writes in a German office). One function for every importer that reads a person's file
(mapped school CSV, partner and contact lists, mapping files): ``read_text_detected``.

Detection, where the file does not say (a UTF-8 BOM says UTF-8; a mapping may name ``encoding``):
valid UTF-8 is UTF-8 (plain ASCII is both), unless it decodes to C1 control characters, which no
text holds (then it is cp1252 whose bytes happen to form UTF-8). Otherwise the bytes are read as cp1252 — unless they
hold UTF-8 sequences beside invalid bytes (a file of mixed encodings), or a byte cp1252 does not
define (0x81, 0x8D, 0x8F, 0x90, 0x9D): then the file is undecidable and refused with the line of
the first such byte and a hint to save it as UTF-8.
"""

from __future__ import annotations

import re
from pathlib import Path

from verbund.services.importers.base import ImportFileError

ENCODINGS = ("auto", "utf-8", "cp1252")
HINT = "bitte als „CSV UTF-8“ speichern (Excel: Speichern unter → CSV UTF-8) und erneut importieren"
# a well-formed multi-byte UTF-8 sequence (2–4 bytes)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


_C1_CONTROLS = re.compile("[\x80-\x9f]")


def _line(raw: bytes, position: int) -> int:
    return raw.count(b"\n", 0, position) + 1


def decode_bytes(raw: bytes, path: Path | str, encoding: str = "auto") -> tuple[str, str]:
    """``(text, encoding used)``; an undecidable or wrongly declared file is an ``ImportFileError``
    naming the line and how to fix it."""
    if encoding not in ENCODINGS:
        raise ImportFileError(path, "Kodierung", f"'{encoding}' unbekannt (erlaubt: {', '.join(ENCODINGS)})")
    if raw.startswith(b"\xef\xbb\xbf") and encoding != "cp1252":
        encoding = "utf-8"
    if encoding in ("auto", "utf-8"):
        try:
            text = raw.decode("utf-8-sig")
            if encoding == "utf-8" or not _C1_CONTROLS.search(text):
                return text, "utf-8"
            try:  # C1 controls never occur in text: cp1252 bytes, by chance UTF-8 …
                return raw.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:  # … unless cp1252 cannot read them: valid UTF-8 after all
                return text, "utf-8"
        except UnicodeDecodeError as error:
            if encoding == "utf-8" or _UTF8_SEQUENCE.search(raw):
                why = "kein gültiges UTF-8" if encoding == "utf-8" else "UTF-8 und andere Kodierung gemischt"
                raise ImportFileError(path, f"Zeile {_line(raw, error.start)}",
                                      f"{why} (Byte 0x{raw[error.start]:02X}); {HINT}") from error
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise ImportFileError(path, f"Zeile {_line(raw, error.start)}",
                              f"Kodierung nicht erkennbar (weder UTF-8 noch Windows-1252, Byte "
                              f"0x{raw[error.start]:02X}); {HINT}") from error


def read_text_detected(path: Path, encoding: str = "auto") -> str:
    """The file's text in UTF-8 or cp1252 (detected unless ``encoding`` is given); see the module."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(path, "Datei", f"nicht lesbar ({error.strerror})") from error
    return decode_bytes(raw, path, encoding)[0]
