"""The PDF (fpdf2): title, date, table of contents, summary, charts, tables, page numbers; tagged.

German text needs a Unicode font: DejaVu Sans, which ships with matplotlib. Tables: see
``services.report.pdf_tables`` (wrapped cells, header repeated on every page). Structure tree
(``services.report.pdf_tags``): ``/H1`` title, ``/H2`` section headings, ``/P`` paragraphs, the
summary as a list (``/L``, ``/LI``), the contents as ``/TOC`` with ``/TOCI``, charts as ``/Figure``
with alternative text, tables with ``/TH`` and ``/TD``; running header and page numbers are artifacts.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import cast

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.outline import OutlineSection
from fpdf.prefs import ViewerPreferences

from verbund.services.report.charts import Chart
from verbund.services.report.markup import SCOPE_NOTE, subtitle
from verbund.services.report.model import Report
from verbund.services.report.pdf_tables import FONT, Pen, draw_table
from verbund.services.report.pdf_tags import TagElem, TagTree
from verbund.services.report.summary import german_date
from verbund.services.report.tables import Table

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class ReportPDF(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report = report
        self.tags = TagTree(self)
        self.struct_builder = self.tags
        self.pen = Pen(self)
        self.contents: TagElem | None = None  # the table of contents' place in the structure, filled at the end
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=14)
        self.set_title(f"{report.title} – Stichtag {german_date(report.as_of)}")
        self.set_lang("de")
        self.set_creator("verbund")
        self.set_display_mode("fullpage")
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)  # the title, not the file name (PDF/UA)

    def header(self) -> None:
        if self.page_no() > 1:
            with self.tags.artifact():
                self.set_font(FONT, "", 7)
                self.set_text_color(110)
                self.cell(0, 4, f"{self.report.title} · {subtitle(self.report)}", new_x=XPos.LMARGIN,
                          new_y=YPos.NEXT)
                self.set_text_color(0)
            self.ln(2)

    def footer(self) -> None:
        with self.tags.artifact():
            self.set_y(-10)
            self.set_font(FONT, "", 7)
            self.set_text_color(110)
            self.cell(0, 4, f"Seite {self.page_no()} von {{nb}}", align="C")
            self.set_text_color(0)


def pdf(report: Report, tables: list[Table], charts: list[Chart]) -> bytes:
    doc = ReportPDF(report)
    doc.add_page()
    doc.set_font(FONT, "B", 20)
    with doc.tags.marked("/H1"):
        doc.multi_cell(0, 10, report.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_font(FONT, "B", 12)
    with doc.tags.marked("/P"):
        doc.cell(0, 8, subtitle(report), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_font(FONT, "", 9)
    with doc.tags.marked("/P"):
        doc.cell(0, 6, SCOPE_NOTE.format(day=german_date(report.as_of)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(4)
    with doc.tags.group("/Sect") as contents:
        doc.contents = contents
    doc.insert_toc_placeholder(_toc, pages=1, allow_extra_pages=True)
    _section(doc, "Zusammenfassung")
    _summary(doc, report.summary.splitlines())
    for chart in charts:
        _room(doc, 120)
        _section(doc, chart.title)
        _image(doc, chart.png, f"Diagramm „{chart.title}“; die Zahlen dazu stehen in den Tabellen dieses Berichts.")
    for table in tables:
        _room(doc, 45)
        _section(doc, table.title)
        draw_table(doc, doc.tags, doc.pen, table)
    return bytes(doc.output())


def _room(doc: FPDF, needed: float) -> None:
    """A new page unless ``needed`` millimetres are left on this one."""
    if doc.get_y() + needed > doc.page_break_trigger:
        doc.add_page()
    else:
        doc.ln(6)


def _section(doc: ReportPDF, title: str) -> None:
    doc.start_section(title)
    doc.set_font(FONT, "B", 13)
    with doc.tags.marked("/H2"):
        doc.cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(1)


def _summary(doc: ReportPDF, points: list[str]) -> None:
    """One point per line, as a list: a bullet (``/Lbl``) and the sentence (``/LBody``) per item."""
    doc.set_font(FONT, "", 10)
    with doc.tags.group("/L"):
        for point in points:
            lines = cast(list[str], doc.multi_cell(doc.epw - 5, 5.5, point, dry_run=True, output="LINES"))
            if doc.get_y() + len(lines) * 5.5 > doc.page_break_trigger:
                doc.add_page()
                doc.set_font(FONT, "", 10)
            y = doc.get_y()
            with doc.tags.group("/LI"):
                with doc.tags.marked("/Lbl"):
                    doc.cell(5, 5.5, "•")
                doc.set_xy(doc.l_margin + 5, y)
                with doc.tags.marked("/LBody"):
                    doc.multi_cell(doc.epw - 5, 5.5, point, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _toc(doc: FPDF, outline: list[OutlineSection]) -> None:
    assert isinstance(doc, ReportPDF) and doc.contents is not None
    with doc.tags.within(doc.contents):
        doc.set_font(FONT, "B", 13)
        with doc.tags.marked("/H2"):
            doc.cell(0, 8, "Inhalt", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_font(FONT, "", 10)
        with doc.tags.group("/TOC"):
            for section in outline:
                if doc.get_y() + 6 > doc.page_break_trigger:
                    doc.add_page()
                    doc.set_font(FONT, "", 10)
                link = doc.add_link(page=section.page_number)
                with doc.tags.marked("/TOCI"):
                    doc.cell(doc.epw - 20, 6, section.name, link=link)
                    doc.cell(20, 6, str(section.page_number), align="R", link=link, new_x=XPos.LMARGIN,
                             new_y=YPos.NEXT)


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
