"""The PDF report is tagged for assistive technology (issue 17), checked by reading it back: a structure
tree (StructTreeRoot, MarkInfo/Marked), document language de, a title in the metadata, bookmarks, the
title as /H1 and every section heading as /H2, every table as /Table with one /TH per column and one /TD
per cell, the charts as /Figure with alternative text, every marked content on a page found in the
/ParentTree under its MCID, and its text extracts without clipping."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject

from verbund.domain.business_days import local_date
from verbund.services.app.bootstrap import App
from verbund.services.demo.sample import build_sample_region
from verbund.services.report import Report, build_report, render
from verbund.services.report.pdf_tables import compact
from verbund.services.report.tables import report_tables
from verbund.services.stages.lifecycle import reconcile_stage


def _kids(node: DictionaryObject) -> list[object]:
    kids = node.get("/K")
    kids = kids.get_object() if hasattr(kids, "get_object") else kids
    return list(kids) if isinstance(kids, list) else [] if kids is None else [kids]


def _elements(node: object) -> list[DictionaryObject]:
    """Every structure element below ``node``, in reading order."""
    node = node.get_object() if hasattr(node, "get_object") else node
    found: list[DictionaryObject] = []
    if isinstance(node, DictionaryObject):
        if "/S" in node:
            found.append(node)
        for kid in _kids(node):
            found += _elements(kid)
    return found


def _named(elements: list[DictionaryObject], tag: str) -> list[DictionaryObject]:
    return [element for element in elements if element["/S"] == tag]


@pytest.fixture
def demo_report(app: App) -> Report:
    sample = build_sample_region(app, at=app.now())
    for network in sample.networks:
        reconcile_stage(app, network, "analysis")
    return build_report(app, local_date(app.now()) + dt.timedelta(days=1))


def test_the_pdf_report_is_tagged_german_titled_bookmarked_and_its_charts_have_alt_text(demo_report: Report) -> None:
    reader = PdfReader(io.BytesIO(render(demo_report, "pdf")))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"]
    assert str(catalog["/Lang"]).lower().startswith("de")
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata is not None and "Stichtag" in str(reader.metadata.title)
    assert len(reader.outline) >= 3  # bookmarks: summary, charts, tables
    elements = _elements(catalog["/StructTreeRoot"])
    figures = _named(elements, "/Figure")
    assert len(figures) >= 2 and all(str(f.get("/Alt", "")).startswith("Diagramm") for f in figures)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Inhalt" in text and "Zusammenfassung" in text


def test_headings_and_tables_are_tagged_cell_by_cell(demo_report: Report) -> None:
    reader = PdfReader(io.BytesIO(render(demo_report, "pdf")))
    elements = _elements(reader.trailer["/Root"]["/StructTreeRoot"])
    tables = [table for table in report_tables(demo_report) if table.rows]
    assert len(_named(elements, "/H1")) == 1
    titles = [str(title) for title in (*(t.title for t in report_tables(demo_report)), "Zusammenfassung", "Inhalt")]
    assert len(_named(elements, "/H2")) >= len(titles)
    assert _named(elements, "/TOC") and len(_named(elements, "/TOCI")) == len(reader.outline)
    tagged = _named(elements, "/Table")
    assert len(tagged) == len(tables)
    for pdf_table, table in zip(tagged, tables, strict=True):
        drawn = compact(table)  # the PDF merges each stage's three columns into one
        inside = _elements(pdf_table)
        headers = _named(inside, "/TH")
        assert len(headers) == len(drawn.headers), table.title
        assert all(h["/A"]["/Scope"] == "/Column" for h in headers)
        rows = [row for row in _named(inside, "/TR") if _named(_elements(row), "/TD")]
        assert len(rows) == len(drawn.rows), table.title
        assert all(len(_named(_elements(row), "/TD")) == len(drawn.headers) for row in rows)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for title in titles:  # every heading whole, none clipped
        assert " ".join(title.split()) in " ".join(text.split()), title
    for row in demo_report.figures.networks:
        assert row.name.split()[-1] in text


def test_every_marked_content_is_in_the_parent_tree_under_its_page_and_mcid(demo_report: Report) -> None:
    reader = PdfReader(io.BytesIO(render(demo_report, "pdf")))
    parent_tree = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    slots = {int(parent_tree[i]): parent_tree[i + 1].get_object() for i in range(0, len(parent_tree), 2)}
    marked = 0
    for page in reader.pages:
        mcids = [operands[1]["/MCID"] for operands, operator in ContentStream(page.get_contents(), reader).operations
                 if operator == b"BDC" and isinstance(operands[1], DictionaryObject) and "/MCID" in operands[1]]
        if not mcids:
            continue
        elements = slots[int(page["/StructParents"])]
        assert sorted(mcids) == list(range(len(elements)))
        for mcid in mcids:
            element = elements[mcid].get_object()
            assert mcid in _kids(element)
            assert element["/Pg"].get_object().indirect_reference == page.indirect_reference
        marked += len(mcids)
    assert marked > 50
