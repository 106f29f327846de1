"""Tables in the PDF: drawn cell by cell, text wrapped (never cut off), header repeated on each page.

A network table's three columns per stage (state, due, finished) become one column per stage
here, so that a row with five stages fits on a landscape page: ``abgeschlossen 24.09.19`` over
``fällig 29.10.19``. Rows grow to the lines their cells need; a word wider than its column is
the only thing shortened (with "…"). Drawing with ``cell`` per line keeps a nationwide report
with thousands of rows fast.
"""

from __future__ import annotations

import datetime as dt
import re

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from verbund.services.report.markup import text
from verbund.services.report.tables import DONE_SUFFIX, DUE_SUFFIX, STATE_SUFFIX, Cell, Table

FONT = "DejaVu"
TABLE_SIZE = 6.5
LINE_H = 3.0
PAD = 0.6
MIN_COL = 9.0
MAX_COL = 60.0
HEADER_LINE_H = 3.2


def draw_table(doc: FPDF, table: Table) -> None:
    if not table.rows:
        doc.set_font(FONT, "", 10)
        doc.cell(0, 6, "Keine Einträge.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    table = compact(table)
    doc.set_font(FONT, "", TABLE_SIZE)
    widths = _widths(doc, table)
    numeric = [all(isinstance(row[i], int | float) or row[i] is None for row in table.rows)
               for i in range(len(table.headers))]
    _header(doc, table.headers, widths)
    for row in table.rows:
        doc.set_font(FONT, "", TABLE_SIZE)
        cells = [_lines(doc, _text(value), width) for value, width in zip(row, widths, strict=True)]
        height = max(len(lines) for lines in cells) * LINE_H + PAD
        if doc.get_y() + height > doc.page_break_trigger:
            doc.add_page()
            _header(doc, table.headers, widths)
            doc.set_font(FONT, "", TABLE_SIZE)
        x, y = doc.l_margin, doc.get_y()
        for lines, width, right in zip(cells, widths, numeric, strict=True):
            doc.rect(x, y, width, height)
            for number, line in enumerate(lines):
                doc.set_xy(x, y + PAD / 2 + number * LINE_H)
                doc.cell(width, LINE_H, line, align="R" if right else "L")
            x += width
        doc.set_xy(doc.l_margin, y + height)


def compact(table: Table) -> Table:
    """Merge each stage's state, due and finished columns into one column named after the stage."""
    headers = table.headers
    starts = [i for i, h in enumerate(headers) if h.endswith(STATE_SUFFIX) and i + 2 < len(headers)
              and headers[i + 1].endswith(DUE_SUFFIX) and headers[i + 2].endswith(DONE_SUFFIX)]
    if not starts:
        return table
    merged_headers: list[str] = []
    plan: list[int | tuple[int, int, int]] = []
    index = 0
    while index < len(headers):
        if index in starts:
            merged_headers.append(headers[index].removesuffix(STATE_SUFFIX))
            plan.append((index, index + 1, index + 2))
            index += 3
        else:
            merged_headers.append(headers[index])
            plan.append(index)
            index += 1
    rows = tuple(
        tuple(_stage_text(row[p[0]], row[p[1]], row[p[2]]) if isinstance(p, tuple) else row[p] for p in plan)
        for row in table.rows
    )
    return Table(table.key, table.title, tuple(merged_headers), rows)


def _stage_text(state: Cell, due: Cell, finished: Cell) -> str:
    first = f"{_text(state)} {_short(finished)}".strip()
    return f"{first}\nfällig {_short(due)}" if isinstance(due, dt.date) else first


def _short(day: Cell) -> str:
    return f"{day:%d.%m.%y}" if isinstance(day, dt.date) else ""


def _text(value: Cell) -> str:
    return "" if value is None else text(value)


def _lines(doc: FPDF, value: str, width: float) -> list[str]:
    """Greedy word wrap to the column (one line for what fits, the common case)."""
    room = width - 2 * doc.c_margin
    lines: list[str] = []
    for part in value.split("\n"):
        if doc.get_string_width(part) <= room:
            lines.append(part)
            continue
        line = ""
        for word, glue in _tokens(doc, part, room):
            candidate = f"{line}{glue}{word}" if line else word
            if doc.get_string_width(candidate) <= room:
                line = candidate
            else:
                if line:
                    lines.append(line)
                line = _fit(doc, word, room)
        lines.append(line)
    return lines or [""]


def _tokens(doc: FPDF, part: str, room: float) -> list[tuple[str, str]]:
    """Words with the glue before them; a word wider than the column breaks after its hyphens (slugs)."""
    tokens: list[tuple[str, str]] = []
    for word in part.split(" "):
        pieces = re.split(r"(?<=-)", word) if doc.get_string_width(word) > room else [word]
        tokens += [(piece, " " if number == 0 else "") for number, piece in enumerate(pieces) if piece]
    return tokens


def _fit(doc: FPDF, value: str, room: float) -> str:
    if doc.get_string_width(value) <= room:
        return value
    while value and doc.get_string_width(value + "…") > room:
        value = value[:-1]
    return value + "…"


def _widths(doc: FPDF, table: Table) -> list[float]:
    sample = table.rows[:300]
    doc.set_font(FONT, "B", TABLE_SIZE)  # headers are bold
    longest_words = [max(doc.get_string_width(word) for word in header.split()) for header in table.headers]
    doc.set_font(FONT, "", TABLE_SIZE)
    wanted = []
    for index, longest_word in enumerate(longest_words):
        content = max((doc.get_string_width(line) for row in sample for line in _text(row[index]).split("\n")),
                      default=0.0)
        wanted.append(max(MIN_COL, longest_word + 2.5, min(content + 2.5, MAX_COL)))
    if sum(wanted) <= doc.epw:
        return wanted
    # Too wide: every column gives up the same share of what it wanted above its floor (its header's
    # longest word, so that headers are never cut); content wraps.
    floors = [max(MIN_COL, word + 2.5) for word in longest_words]
    spare = sum(w - f for w, f in zip(wanted, floors, strict=True))
    cut = min(1.0, (sum(wanted) - doc.epw) / spare) if spare else 1.0
    return [w - (w - f) * cut for w, f in zip(wanted, floors, strict=True)]


def _header(doc: FPDF, headers: tuple[str, ...], widths: list[float]) -> None:
    doc.set_font(FONT, "B", TABLE_SIZE)
    lines = [_lines(doc, header, width) for header, width in zip(headers, widths, strict=True)]
    height = max(len(cell) for cell in lines) * HEADER_LINE_H + 1
    x, y = doc.l_margin, doc.get_y()
    doc.set_fill_color(232, 236, 242)
    for cell, width in zip(lines, widths, strict=True):
        doc.rect(x, y, width, height, style="DF")
        for number, line in enumerate(cell):
            doc.set_xy(x, y + 0.5 + number * HEADER_LINE_H)
            doc.cell(width, HEADER_LINE_H, line)
        x += width
    doc.set_xy(doc.l_margin, y + height)
