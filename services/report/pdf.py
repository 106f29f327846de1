"""The PDF (fpdf2): title, date, table of contents, summary, charts, tables, page numbers.

German text needs a Unicode font: DejaVu Sans, which ships with matplotlib. Tables: see
``services.report.pdf_tables`` (wrapped cells, header repeated on every page).
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.outline import OutlineSection

from verbund.services.report.charts import Chart
from verbund.services.report.markup import SCOPE_NOTE, subtitle
from verbund.services.report.model import Report
from verbund.services.report.pdf_tables import FONT, draw_table
from verbund.services.report.summary import german_date
from verbund.services.report.tables import Table

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class ReportPDF(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report = report
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=14)
        self.set_title(f"{report.title} – Stichtag {german_date(report.as_of)}")
        self.set_lang("de")
        self.set_creator("verbund")

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(FONT, "", 7)
            self.set_text_color(110)
            self.cell(0, 4, f"{self.report.title} · {subtitle(self.report)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0)
            self.ln(2)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "", 7)
        self.set_text_color(110)
        self.cell(0, 4, f"Seite {self.page_no()} von {{nb}}", align="C")
        self.set_text_color(0)


def pdf(report: Report, tables: list[Table], charts: list[Chart]) -> bytes:
    doc = ReportPDF(report)
    doc.add_page()
    doc.set_font(FONT, "B", 20)
    doc.multi_cell(0, 10, report.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_font(FONT, "B", 12)
    doc.cell(0, 8, subtitle(report), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_font(FONT, "", 9)
    doc.cell(0, 6, SCOPE_NOTE.format(day=german_date(report.as_of)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(4)
    doc.insert_toc_placeholder(_toc, pages=1, allow_extra_pages=True)
    _section(doc, "Zusammenfassung")
    doc.set_font(FONT, "", 10)
    doc.multi_cell(0, 5.5, report.summary, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for chart in charts:
        _room(doc, 120)
        _section(doc, chart.title)
        _image(doc, chart.png, f"Diagramm „{chart.title}“; die Zahlen dazu stehen in den Tabellen dieses Berichts.")
    for table in tables:
        _room(doc, 45)
        _section(doc, table.title)
        draw_table(doc, table)
    return bytes(doc.output())


def _room(doc: FPDF, needed: float) -> None:
    """A new page unless ``needed`` millimetres are left on this one."""
    if doc.get_y() + needed > doc.page_break_trigger:
        doc.add_page()
    else:
        doc.ln(6)


def _section(doc: FPDF, title: str) -> None:
    doc.start_section(title)
    doc.set_font(FONT, "B", 13)
    doc.cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(1)


def _toc(doc: FPDF, outline: list[OutlineSection]) -> None:
    doc.set_font(FONT, "B", 13)
    doc.cell(0, 8, "Inhalt", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_font(FONT, "", 10)
    for section in outline:
        link = doc.add_link(page=section.page_number)
        doc.cell(doc.epw - 20, 6, section.name, link=link)
        doc.cell(20, 6, str(section.page_number), align="R", link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _image(doc: FPDF, png: bytes, alt: str) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    room_h = doc.page_break_trigger - doc.get_y() - 2
    w = min(doc.epw, 250.0)
    h = w * height / width
    if h > room_h:
        w, h = room_h * width / height, room_h
    doc.image(io.BytesIO(png), x=doc.l_margin + (doc.epw - w) / 2, w=w, h=h, alt_text=alt)  # a tagged /Figure
