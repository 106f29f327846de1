"""Whether a free text names a person: the same name written another way.

People's names reach the data as typed: ``Doreen Schmidt``, ``doreen  schmidt``, ``Schmidt, Doreen``,
``Dr. Doreen Schmidt``, ``Frau Schmidt-Weiß`` / ``Schmidt-Weiss``, the partner door's ``Doreen Schmidt
(Kita Sonnenschein)``. ``person_key`` reduces a name to what identifies it (case, whitespace and
umlaut spelling folded, titles and salutations dropped, "Last, First" turned round, the
organisation in brackets set apart), so that two spellings of one name compare equal;
``name_pattern`` finds those spellings inside a longer text. Pure functions; used by the actor
references, their migration and the erasure.
"""

from __future__ import annotations

import re
import unicodedata

TITLES = frozenset({"dr", "prof", "professor", "herr", "frau", "hr", "fr", "dipl", "dipl.-ing", "dipl.-päd",
                    "mag", "med", "phil", "rer. nat"})
_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
_BRACKETED = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<organisation>[^()]+)\)\s*$")


def fold(text: str) -> str:
    """Case, Unicode form and runs of whitespace folded (``"  Doreen\\tSCHMIDT "`` → ``"doreen schmidt"``)."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def split_organisation(text: str) -> tuple[str, str | None]:
    """``"Name (Organisation)"`` → ``("Name", "Organisation")``; other texts → ``(text, None)``."""
    found = _BRACKETED.match(text.strip())
    if found is None:
        return text.strip(), None
    return found["name"].strip(), found["organisation"].strip()


def _plain(word: str) -> str:
    for umlaut, spelled in _UMLAUTS.items():
        word = word.replace(umlaut, spelled)
    return word


def person_key(text: str) -> tuple[str, ...]:
    """The words of a person's name, folded and sorted (so ``Schmidt, Doreen`` = ``Doreen Schmidt``);
    titles and salutations left out; empty when the text is no name (no letter in it)."""
    name, _organisation = split_organisation(text)
    if not any(ch.isalpha() for ch in name):
        return ()
    words = [_plain(w) for w in fold(name.replace(",", " ")).split()]
    return tuple(sorted(w for w in words if w.rstrip(".") not in TITLES))


def _word(word: str) -> str:
    """A regular expression for one word of a name, in either umlaut spelling."""
    pattern = re.escape(_plain(fold(word)))
    for umlaut, spelled in _UMLAUTS.items():
        pattern = pattern.replace(spelled, f"(?:{spelled}|{umlaut})")
    return pattern


def name_pattern(name: str) -> re.Pattern[str] | None:
    """The spellings of ``name`` inside a text: "First Last" (with titles or a salutation before it),
    "Last, First", any case, spacing or umlaut spelling; ``None`` for a name of fewer than two words."""
    words = [w for w in fold(split_organisation(name)[0].replace(",", " ")).split() if w.rstrip(".") not in TITLES]
    if len(words) < 2:
        return None
    gap = r"[\s\u00a0]+"
    forward = gap.join(_word(w) for w in words)
    backward = _word(words[-1]) + r"\s*,\s*" + gap.join(_word(w) for w in words[:-1])
    return re.compile(rf"(?<![\w-])(?:{forward}|{backward})(?![\w-])", re.IGNORECASE)


def same_name(text: str, name: str) -> bool:
    """Whether ``text`` names ``name`` (at least two words, so a first name alone never matches)."""
    key = person_key(name)
    return len(key) >= 2 and person_key(text) == key


def same_organisation(text: str, organisation: str | None) -> bool:
    _name, given = split_organisation(text)
    return given is None or (organisation is not None and fold(given) == fold(organisation))
