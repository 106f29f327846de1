"""Reading `;`/`,`-separated files: an optional ``sep=X`` first line, a header, numbered rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verbund.services.importers.base import ImportFileError, checked_delimiter, read_text
from verbund.services.importers.encoding import read_text_detected


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, values by column)


def read_table(path: Path, delimiter: str = ";", required: tuple[str, ...] = (), encoding: str | None = None) -> Table:
    """The file's rows; a missing header or required column, or broken quoting, is an ``ImportFileError``.

    ``encoding`` None: UTF-8 only (with or without BOM; NRW's own rule); ``"auto"``, ``"utf-8"`` or
    ``"cp1252"``: as ``services.importers.encoding`` reads a person's file (detected for ``"auto"``)."""
    content = read_text(path) if encoding is None else read_text_detected(path, encoding)
    offset = 0
    first, _, rest = content.partition("\n")
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
        delimiter, content, offset = first.strip()[4], rest, 1
        checked_delimiter(path, delimiter, "Zeile 1 (sep=)")
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ImportFileError(path, "Zeile 1", "Datei ist leer (keine Kopfzeile)") from None
    except csv.Error as error:
        raise ImportFileError(path, f"Zeile {reader.line_num + offset}", f"Kopfzeile unlesbar ({error})") from error
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportFileError(path, f"Zeile {1 + offset} (Kopfzeile)", "Spalten fehlen: " + ", ".join(missing))
    return Table(header, list(_rows(path, reader, header, offset)))


def _rows(path: Path, reader: Any, header: list[str], offset: int) -> Iterator[tuple[int, dict[str, str]]]:
    line = 1 + offset
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFileError(path, f"Zeile {line + 1}", f"CSV-Syntax ({error})") from error
        line = reader.line_num + offset
        if not any(value.strip() for value in values):
            continue
        yield line, {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header) if name}
