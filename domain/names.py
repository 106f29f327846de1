"""Whether a free text names a person: the same name written another way.

People's names reach the data as typed: ``Doreen Schmidt``, ``doreen  schmidt``, the partner door's
``Doreen Schmidt (Kita Sonnenschein)``. ``person_key`` reduces a name to what identifies it
(case and whitespace folded, the organisation in brackets set apart), so that two spellings of one
name compare equal. Pure functions; used by the actor references and the erasure.
"""

from __future__ import annotations

import re
import unicodedata

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


def person_key(text: str) -> tuple[str, ...]:
    """The words of a person's name, folded; empty when the text is no name (no letter in it)."""
    name, _organisation = split_organisation(text)
    words = fold(name).split()
    return tuple(words) if any(ch.isalpha() for ch in name) else ()


def same_name(text: str, name: str) -> bool:
    """Whether ``text`` names ``name`` (at least two words, so a first name alone never matches)."""
    key = person_key(name)
    return len(key) >= 2 and person_key(text) == key


def same_organisation(text: str, organisation: str | None) -> bool:
    _name, given = split_organisation(text)
    return given is None or (organisation is not None and fold(given) == fold(organisation))
