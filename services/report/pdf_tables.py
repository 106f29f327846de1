"""Tables in the PDF: drawn cell by cell, text wrapped (never cut off), header repeated on each page, tagged.

A network table's three columns per stage (state, due, finished) become one column per stage
here, so that a row with five stages fits on a landscape page: ``abgeschlossen 24.09.2019`` over
``fällig 29.10.2019``. Rows grow to the lines their cells need; a word wider than its column is
the only thing shortened (with "…").

Tagged for assistive technology (``services.report.pdf_tags``): ``/Table`` with a ``/THead`` row
of ``/TH`` cells (scope: column) and a ``/TBody`` of ``/TR`` rows of ``/TD`` cells; the rules and
the header repeated on later pages are artifacts. Speed: each line is placed with ``FPDF.text``
and widths are measured once per distinct text (``cell`` per line made a nationwide report slow).
"""

from __future__ import annotations

import datetime as dt
import re

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from verbund.services.report.markup import text
from verbund.services.report.pdf_tags import COLUMN_HEADER, TagTree
from verbund.services.report.tables import DONE_SUFFIX, DUE_SUFFIX, STATE_SUFFIX, Cell, Table

FONT = "DejaVu"
TABLE_SIZE = 6.5
LINE_H = 3.0
PAD = 0.6
MIN_COL = 9.0
MAX_COL = 60.0
HEADER_LINE_H = 3.2


class Pen:
    """Text and rules of table rows as content-stream operators, written once per row.

    Widths are measured once per distinct text and font, texts encoded once per font (the glyphs
    enter the font subset then); a line is placed as ``FPDF.cell(width, height, value)`` would
    place it at (x, y) without border: the same cell margin and baseline.
    """

    def __init__(self, doc: FPDF) -> None:
        self.doc = doc
        self._widths: dict[tuple[str, float, str], float] = {}
        self._encoded: dict[tuple[int, str], str] = {}

    def width(self, value: str) -> float:
        key = (self.doc.font_style, self.doc.font_size_pt, value)
        found = self._widths.get(key)
        if found is None:
            found = self._widths[key] = self.doc.get_string_width(value)
        return found

    def text(self, x: float, y: float, width: float, height: float, value: str, *, right: bool = False) -> str:
        if not value:
            return ""
        doc = self.doc
        font = doc.current_font
        assert font is not None
        key = (font.i, value)
        encoded = self._encoded.get(key)
        if encoded is None:
            encoded = self._encoded[key] = font.encode_text(value)
        left = x + width - doc.c_margin - self.width(value) if right else x + doc.c_margin
        baseline = y + 0.5 * height + 0.3 * doc.font_size
        return f"BT {left * doc.k:.2f} {(doc.h - baseline) * doc.k:.2f} Td {encoded} ET"

    def rule(self, x: float, y: float, width: float, height: float, *, fill: bool = False) -> str:
        """A cell's border (and fill), as ``FPDF.rect`` draws it."""
        k = self.doc.k
        return f"{x * k:.2f} {(self.doc.h - y) * k:.2f} {width * k:.2f} {-height * k:.2f} re {'B' if fill else 'S'}"

    def draw(self, ops: list[str]) -> None:
        """Write the operators in the current font and text colour."""
        doc = self.doc
        assert doc.current_font is not None and doc.text_color is not None
        if not doc.current_font_is_set_on_page:
            doc._out(doc._set_font_for_page(doc.current_font, doc.font_size_pt))
        doc._out("\n".join(["q", doc.text_color.serialize().lower(), *ops, "Q"]))


def draw_table(doc: FPDF, tags: TagTree, pen: Pen, table: Table) -> None:
    if not table.rows:
        doc.set_font(FONT, "", 10)
        with tags.marked("/P"):
            doc.cell(0, 6, "Keine Einträge.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    table = compact(table)
    doc.set_font(FONT, "", TABLE_SIZE)
    widths = _widths(pen, table)
    numeric = [all(isinstance(row[i], int | float) or row[i] is None for row in table.rows)
               for i in range(len(table.headers))]
    with tags.group("/Table"):
        with tags.group("/THead"):
            _header(doc, tags, pen, table.headers, widths, repeated=False)
        with tags.group("/TBody"):
            for row in table.rows:
                _row(doc, tags, pen, table, row, widths, numeric)


def _row(doc: FPDF, tags: TagTree, pen: Pen, table: Table, row: tuple[Cell, ...], widths: list[float],
         numeric: list[bool]) -> None:
    doc.set_font(FONT, "", TABLE_SIZE)
    cells = [_lines(pen, _text(value), width) for value, width in zip(row, widths, strict=True)]
    height = max(len(lines) for lines in cells) * LINE_H + PAD
    if doc.get_y() + height > doc.page_break_trigger:
        doc.add_page()
        _header(doc, tags, pen, table.headers, widths, repeated=True)
        doc.set_font(FONT, "", TABLE_SIZE)
    x, y = doc.l_margin, doc.get_y()
    ops = [tags.ARTIFACT]
    for width in widths:
        ops.append(pen.rule(x, y, width, height))
        x += width
    ops.append("EMC")
    x = doc.l_margin
    with tags.group("/TR"):
        for lines, width, right in zip(cells, widths, numeric, strict=True):
            ops.append(tags.begin("/TD"))
            ops += [pen.text(x, y + PAD / 2 + number * LINE_H, width, LINE_H, line, right=right)
                    for number, line in enumerate(lines)]
            ops.append("EMC")
            x += width
    pen.draw(ops)
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
    first = f"{_text(state)} {_day(finished)}".strip()
    return f"{first}\nfällig {_day(due)}" if isinstance(due, dt.date) else first


def _day(day: Cell) -> str:
    return f"{day:%d.%m.%Y}" if isinstance(day, dt.date) else ""


def _text(value: Cell) -> str:
    return "" if value is None else text(value)


def _lines(pen: Pen, value: str, width: float) -> list[str]:
    """Greedy word wrap to the column (one line for what fits, the common case)."""
    room = width - 2 * pen.doc.c_margin
    lines: list[str] = []
    for part in value.split("\n"):
        if pen.width(part) <= room:
            lines.append(part)
            continue
        line = ""
        for word, glue in _tokens(pen, part, room):
            candidate = f"{line}{glue}{word}" if line else word
            if pen.width(candidate) <= room:
                line = candidate
            else:
                if line:
                    lines.append(line)
                line = _fit(pen, word, room)
        lines.append(line)
    return lines or [""]


def _tokens(pen: Pen, part: str, room: float) -> list[tuple[str, str]]:
    """Words with the glue before them; a word wider than the column breaks after its hyphens (slugs)."""
    tokens: list[tuple[str, str]] = []
    for word in part.split(" "):
        pieces = re.split(r"(?<=-)", word) if pen.width(word) > room else [word]
        tokens += [(piece, " " if number == 0 else "") for number, piece in enumerate(pieces) if piece]
    return tokens


def _fit(pen: Pen, value: str, room: float) -> str:
    if pen.width(value) <= room:
        return value
    while value and pen.width(value + "…") > room:
        value = value[:-1]
    return value + "…"


def _widths(pen: Pen, table: Table) -> list[float]:
    doc = pen.doc
    sample = table.rows[:300]
    doc.set_font(FONT, "B", TABLE_SIZE)  # headers are bold
    longest_words = [max(pen.width(word) for word in header.split()) for header in table.headers]
    doc.set_font(FONT, "", TABLE_SIZE)
    wanted = []
    for index, longest_word in enumerate(longest_words):
        content = max((pen.width(line) for row in sample for line in _text(row[index]).split("\n")), default=0.0)
        wanted.append(max(MIN_COL, longest_word + 2.5, min(content + 2.5, MAX_COL)))
    if sum(wanted) <= doc.epw:
        return wanted
    # Too wide: every column gives up the same share of what it wanted above its floor (its header's
    # longest word, so that headers are never cut); content wraps.
    floors = [max(MIN_COL, word + 2.5) for word in longest_words]
    spare = sum(w - f for w, f in zip(wanted, floors, strict=True))
    cut = min(1.0, (sum(wanted) - doc.epw) / spare) if spare else 1.0
    return [w - (w - f) * cut for w, f in zip(wanted, floors, strict=True)]


def _header(doc: FPDF, tags: TagTree, pen: Pen, headers: tuple[str, ...], widths: list[float], *,
            repeated: bool) -> None:
    """The header row: tagged ``/TR`` of ``/TH`` the first time, an artifact where it is repeated on a new page."""
    doc.set_font(FONT, "B", TABLE_SIZE)
    lines = [_lines(pen, header, width) for header, width in zip(headers, widths, strict=True)]
    height = max(len(cell) for cell in lines) * HEADER_LINE_H + 1
    x, y = doc.l_margin, doc.get_y()
    doc.set_fill_color(232, 236, 242)
    assert doc.fill_color is not None and doc.text_color is not None
    ops = [tags.ARTIFACT, doc.fill_color.serialize().lower()]
    for width in widths:
        ops.append(pen.rule(x, y, width, height, fill=True))
        x += width
    ops.append(doc.text_color.serialize().lower())  # text is painted in the fill colour
    if not repeated:
        ops.append("EMC")
    x = doc.l_margin
    with tags.group("/TR"):
        for cell, width in zip(lines, widths, strict=True):
            if not repeated:
                ops.append(tags.begin("/TH", attributes=COLUMN_HEADER))
            ops += [pen.text(x, y + 0.5 + number * HEADER_LINE_H, width, HEADER_LINE_H, line)
                    for number, line in enumerate(cell)]
            if not repeated:
                ops.append("EMC")
            x += width
    if repeated:
        ops.append("EMC")
    pen.draw(ops)
    doc.set_xy(doc.l_margin, y + height)
