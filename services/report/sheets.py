"""XLSX (one sheet per table, named in German, real number and date cells) and CSV (one long table of all
cells, German headers; the "Tabelle" column holds the sheet names)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from verbund.services.report.model import Report
from verbund.services.report.tables import Cell, Month, Table

DATE_FORMAT = "DD.MM.YYYY"
MONTH_FORMAT = "MM.YYYY"
CSV_HEADER = ("Stichtag", "Tabelle", "Zeile", "Spalte", "Wert")
SUMMARY = "Zusammenfassung"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: what a spreadsheet reads as a formula


def neutralise(value: str) -> str:
    """Text that a spreadsheet would run as a formula (a partner named ``=HYPERLINK(…)``) gets a
    leading apostrophe, so it stays text (OWASP's rule for CSV injection). Numbers are not text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _safe(value: Cell) -> Cell:
    return neutralise(value) if isinstance(value, str) else value


def xlsx(report: Report, tables: list[Table]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = SUMMARY
    sheet.append([report.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["Stichtag", report.as_of])
    sheet["B2"].number_format = DATE_FORMAT
    sheet.append(["Region", report.figures.region or "alle"])
    if report.compare_to:
        sheet.append(["Vergleich mit", report.compare_to])
        sheet["B4"].number_format = DATE_FORMAT
    sheet.append([])
    sheet.append([neutralise(report.summary)])
    summary_row = sheet.max_row
    sheet.merge_cells(start_row=summary_row, start_column=1, end_row=summary_row, end_column=8)
    sheet.cell(summary_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[summary_row].height = 150
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 14
    for table, name in zip(tables, sheet_names(tables), strict=True):
        _sheet(book, table, name)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_names(tables: list[Table]) -> list[str]:
    """Each table's German display name, unique beside the summary sheet (a spreadsheet ignores case)."""
    taken, names = {SUMMARY.lower()}, []
    for table in tables:
        name, number = table.sheet_name, 2
        while name.lower() in taken:
            name = f"{table.sheet_name[:27]} ({number})"
            number += 1
        taken.add(name.lower())
        names.append(name)
    return names


def _sheet(book: Workbook, table: Table, name: str) -> None:
    sheet = book.create_sheet(name)
    sheet.append([neutralise(header) for header in table.headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    date_columns: dict[int, str] = {}
    for row in table.rows:
        sheet.append([_safe(value) for value in row])
        date_columns |= {i: MONTH_FORMAT if isinstance(value, Month) else DATE_FORMAT
                         for i, value in enumerate(row, start=1) if isinstance(value, dt.date)}
    for column, number_format in date_columns.items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    for index, header in enumerate(table.headers, start=1):
        longest = max([len(header) // 2, *(len(_plain(row[index - 1])) for row in table.rows[:200])], default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 9), 48)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def _plain(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return "00.00.0000"
    return str(value)


def csv_text(report: Report, tables: list[Table]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    day = report.as_of.isoformat()
    writer.writerow((day, SUMMARY, 1, "Text", neutralise(report.summary)))
    for table, name in zip(tables, sheet_names(tables), strict=True):
        for number, row in enumerate(table.rows, start=1):
            for header, value in zip(table.headers, row, strict=True):
                writer.writerow((day, name, number, neutralise(header), _csv(value)))
    return buffer.getvalue()


def _csv(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Month):
        return f"{value:%Y-%m}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(value) if isinstance(value, str) else str(value)
