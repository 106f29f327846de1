"""The PDF report is tagged for assistive technology (issue 17), checked by reading it back: a structure
tree (StructTreeRoot, MarkInfo/Marked), document language de, a title in the metadata, bookmarks, the
charts as /Figure with alternative text, and its text extracts without clipping ("Inhalt")."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from verbund.domain.business_days import local_date
from verbund.services.app.bootstrap import App
from verbund.services.demo.sample import build_sample_region
from verbund.services.report import build_report, render
from verbund.services.stages.lifecycle import reconcile_stage


def _tags(node: object, found: dict[str, list[DictionaryObject]]) -> None:
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, DictionaryObject):
        if "/S" in node:
            found.setdefault(str(node["/S"]), []).append(node)
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, list) else [kids] if kids is not None else []):
            _tags(kid, found)


def test_the_pdf_report_is_tagged_german_titled_bookmarked_and_its_charts_have_alt_text(app: App) -> None:
    sample = build_sample_region(app, at=app.now())
    for network in sample.networks:
        reconcile_stage(app, network, "analysis")
    day = local_date(app.now()) + dt.timedelta(days=1)
    reader = PdfReader(io.BytesIO(render(build_report(app, day), "pdf")))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"]
    assert str(catalog["/Lang"]).lower().startswith("de")
    assert reader.metadata is not None and "Stichtag" in str(reader.metadata.title)
    assert len(reader.outline) >= 3  # bookmarks: summary, charts, tables
    tags: dict[str, list[DictionaryObject]] = {}
    _tags(catalog["/StructTreeRoot"], tags)
    figures = tags.get("/Figure", [])
    assert len(figures) >= 2 and all(str(f.get("/Alt", "")).startswith("Diagramm") for f in figures)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Inhalt" in text and "Zusammenfassung" in text
