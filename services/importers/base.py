"""The one interface every school-data adapter implements, and the values it produces.

An adapter reads a file and returns ``Parsed``: school records ready to upsert, the rows it rejected
(each with where, field and reason) and notes on real-data quirks it handled. A file it cannot read
at all raises ``ImportFileError``; then nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from verbund.domain.errors import InvalidInput
from verbund.domain.schools import RegionRef


class ImportFileError(InvalidInput):
    """The file as a whole is unreadable (encoding, syntax, shape, missing columns); nothing is stored."""

    def __init__(self, path: Path | str, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"Datei {Path(path).name}, {where}: {reason}. Nichts wurde gespeichert.")


class RowError(Exception):
    """One row is unusable: it is rejected with the field and the reason; the others go on."""

    def __init__(self, field_name: str, reason: str) -> None:
        self.field_name = field_name
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Problem:
    """A rejected row or a handled quirk: ``where`` (line or JSON index), ``field`` and ``reason``.

    NUL bytes and lone surrogates (quoted from the file) are written visibly (``\\x00``), so a
    problem is stored the same on every backend."""

    where: str
    field: str
    reason: str

    def __post_init__(self) -> None:
        for name in ("where", "field", "reason"):
            object.__setattr__(self, name, visible(getattr(self, name)))

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "field": self.field, "reason": self.reason}


@dataclass
class SchoolRecord:
    """One institution as the source describes it, already decided (kind, region, scope)."""

    where: str
    source_id: str
    name: str
    kind: str
    region: RegionRef | None
    community: str | None = None
    community_key: str | None = None
    school_types: list[str] = field(default_factory=list)
    special_needs: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    service_key: str | None = None  # Dienststellenschlüssel (issue 13): joins coordinates, not unique
    in_scope: bool = True
    out_of_scope_reason: str | None = None
    closed_on: dt.date | None = None
    notes: list[Problem] = field(default_factory=list)  # blemishes dropped from this school (kept on it)


@dataclass(frozen=True)
class NotImported:
    """A rejected row that looks like a public school in scope: stored as "nicht importiert" so coverage
    never reads as complete while it is missing (``where``/``field``/``reason`` as in ``Problem``)."""

    where: str
    field: str
    reason: str
    region: RegionRef
    source_id: str | None = None
    name: str | None = None


@dataclass
class Parsed:
    """What an adapter read: records, rejected rows, notes, and every source id it saw.

    ``seen`` holds the ids of rejected rows too (when readable), so a school whose row is broken
    this time is neither updated nor closed. ``regions`` are the areas the file covers: a school of
    this source in one of them that the file no longer lists is closed.
    """

    source: str
    records: list[SchoolRecord] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    regions: dict[str, RegionRef] = field(default_factory=dict)
    not_imported: list[NotImported] = field(default_factory=list)

    def reject(self, where: str, field_name: str, reason: str, source_id: str | None = None,
               candidate: tuple[RegionRef, str | None] | None = None) -> None:
        """Reject a row; ``candidate`` (region, name) when it looks like a public school in scope."""
        self.rejected.append(Problem(where, field_name, reason))
        source_id = None if source_id is None or unstorable(source_id) else source_id
        if source_id:
            self.seen.add(source_id)
        if candidate is not None:
            region, name = candidate
            name = None if name is None or unstorable(name) else name
            self.not_imported.append(NotImported(where, field_name, reason, region, source_id, name))
            self.regions.setdefault(region.slug, region)

    def note(self, where: str, field_name: str, reason: str) -> None:
        self.notes.append(Problem(where, field_name, reason))

    def add(self, record: SchoolRecord) -> None:
        """Keep ``record``; a NUL byte or lone surrogate rejects it in an essential field (id, name,
        out-of-scope reason) and is dropped with a note anywhere else (alike on every backend)."""
        for field_name, value in (("id", record.source_id), ("name", record.name),
                                  ("out_of_scope", record.out_of_scope_reason or "")):
            why = unstorable(value)
            if why is not None:
                candidate = None
                if record.region is not None and record.kind == "public_school" and record.in_scope:
                    candidate = (record.region, None if unstorable(record.name) else record.name)
                self.reject(record.where, field_name, why,
                            None if unstorable(record.source_id) else record.source_id, candidate)
                return
        _drop_unstorable(record)
        if record.source_id in self.seen:
            self.reject(record.where, "id", f"Kennung '{record.source_id}' kommt mehrfach vor; erste Zeile gilt")
            return
        self.seen.add(record.source_id)
        self.records.append(record)
        self.notes.extend(record.notes)
        if record.region is not None:
            self.regions.setdefault(record.region.slug, record.region)


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored alike on every backend (PostgreSQL refuses a NUL byte, no
    backend can encode a lone surrogate), or None when it can."""
    if "\x00" in text:
        return "enthält ein NUL-Zeichen (Byte 0)"
    if any("\ud800" <= char <= "\udfff" for char in text):
        return "enthält ein ungültiges Unicode-Zeichen (einzelnes Surrogat)"
    return None


def visible(text: str) -> str:
    """``text`` with NUL bytes and lone surrogates written as escapes (for reasons and notes)."""
    if unstorable(text) is None:
        return text
    return "".join(f"\\x{ord(c):02x}" if c == "\x00" else f"\\u{ord(c):04x}" if "\ud800" <= c <= "\udfff" else c
                   for c in text)


def shown(value: object, limit: int = 60) -> str:
    """A value from the file for a message: text and numbers as written (shortened to ``limit``),
    lists and objects by their kind only (they may be nested arbitrarily deep)."""
    if isinstance(value, list):
        return "(Liste)"
    if isinstance(value, dict):
        return "(Objekt)"
    text = value if isinstance(value, str) else str(value)
    text = visible(text)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} Zeichen)"


def is_digits(text: str) -> bool:
    """Only the ASCII digits 0–9 (``str.isdigit`` also accepts "²", which ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def checked_delimiter(path: Path | str, value: object, where: str = "Schlüssel delimiter") -> str:
    """A CSV delimiter from a mapping: exactly one character, neither quote nor line break."""
    if not isinstance(value, str) or len(value) != 1 or value in {'"', "\r", "\n"}:
        raise ImportFileError(path, where, f"'{shown(value)}' ist kein Trennzeichen (genau ein Zeichen, z. B. \";\")")
    return value


_LONG_NUMBER = re.compile(r"[0-9_]{4000,}")


def load_toml(path: Path, text: str) -> dict[str, Any]:
    """A mapping file's TOML: syntax errors, numbers too long for Python (over 4,300 digits), nesting
    too deep and NUL bytes in a value are ``ImportFileError`` naming the place."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ImportFileError(path, "TOML", visible(str(error))) from error
    except RecursionError:
        raise ImportFileError(path, "TOML", "zu tief verschachtelt") from None
    except ValueError:  # int(): more digits than Python converts
        found = _LONG_NUMBER.search(text)
        line = text.count("\n", 0, found.start()) + 1 if found else 1
        raise ImportFileError(path, f"TOML, Zeile {line}", "Zahl mit zu vielen Stellen") from None
    _check_toml_text(path, data, "")
    return data


def _check_toml_text(path: Path, value: object, key: str) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            _check_toml_text(path, name, key)
            _check_toml_text(path, inner, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_toml_text(path, inner, f"{key}[{index}]")
    elif isinstance(value, str) and unstorable(value):
        raise ImportFileError(path, f"Schlüssel {visible(key) or '(oberste Ebene)'}", str(unstorable(value)))


def _drop_unstorable(record: SchoolRecord) -> None:
    """Non-essential values holding a NUL byte or a lone surrogate: dropped, each with a note."""
    for field_name in ("community", "community_key", "service_key"):
        value = getattr(record, field_name)
        why = None if value is None else unstorable(value)
        if why is not None:
            setattr(record, field_name, None)
            record.notes.append(Problem(record.where, field_name, f"{why}; verworfen"))
    for field_name in ("school_types", "special_needs"):
        values: list[str] = getattr(record, field_name)
        kept = [value for value in values if unstorable(value) is None]
        if len(kept) < len(values):
            setattr(record, field_name, kept)
            record.notes.append(Problem(record.where, field_name, f"{len(values) - len(kept)} Wert(e) mit "
                                                                  "NUL-Zeichen oder ungültigem Unicode verworfen"))


class Adapter(Protocol):
    """Reads one source's file format. ``today`` decides date-dependent rules (NRW start dates)."""

    source: str

    def parse(self, path: Path, today: dt.date) -> Parsed: ...


def read_text(path: Path) -> str:
    """The file's text (UTF-8, with or without BOM), or ``ImportFileError``."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(path, "Datei", f"nicht lesbar ({error.strerror})") from error
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(path, f"Byte {error.start}", "kein gültiges UTF-8") from error


def text_value(value: object) -> str | None:
    """A stripped string, or None for null/empty."""
    if value is None or isinstance(value, list | dict):  # a list or object is no text (and may nest deep)
        return None
    cleaned = str(value).strip()
    return cleaned or None


def parse_german_date(value: str | None) -> dt.date | None:
    """``01.08.2017`` (day and month may lack the leading zero) → date; None for empty."""
    if not value:
        return None
    day, month, year = value.strip().split(".")
    if not all(is_digits(part) and len(part) <= 4 for part in (day, month, year)):
        raise ValueError(value)  # also "²" and a year of 10^20 digits
    return dt.date(int(year), int(month), int(day))
