"""Markdown and HTML renderings (HTML is self-contained: charts embedded as PNG data)."""

from __future__ import annotations

import base64
import datetime as dt
from html import escape

from verbund.services.report.charts import Chart
from verbund.services.report.model import Report
from verbund.services.report.summary import german_date, german_number
from verbund.services.report.tables import Cell, Month, Table

SCOPE_NOTE = "Stichtag: Ende des Tages {day} (Europe/Berlin); alle Zahlen aus dem Ereignisverlauf zu diesem Zeitpunkt."


def text(cell: Cell) -> str:
    if cell is None:
        return "—"
    if isinstance(cell, Month):
        return f"{cell:%m.%Y}"
    if isinstance(cell, dt.date):
        return german_date(cell)
    if isinstance(cell, int | float):
        return german_number(cell)
    return cell


def _scope(report: Report) -> str:
    figures = report.figures
    if not figures.region:
        return "alle Regionen"
    return f"Region {figures.regions[0].name}" if figures.regions else f"Region {figures.region}"


def subtitle(report: Report) -> str:
    line = f"Stichtag {german_date(report.as_of)} · {_scope(report)}"
    if report.compare_to:
        line += f" · Vergleich mit dem {german_date(report.compare_to)}"
    return line


def markdown(report: Report, tables: list[Table]) -> str:
    lines = [f"# {report.title}", "", f"**{subtitle(report)}**", "",
             SCOPE_NOTE.format(day=german_date(report.as_of)), "", "## Zusammenfassung", "",
             escape(report.summary, quote=False), ""]
    for table in tables:
        lines += [f"## {escape(table.title, quote=False)}", ""]
        if not table.rows:
            lines += ["Keine Einträge.", ""]
            continue
        lines.append("| " + " | ".join(_md(h) for h in table.headers) + " |")
        lines.append("|" + "|".join("---:" if _numeric(table, i) else "---" for i in range(len(table.headers))) + "|")
        lines += ["| " + " | ".join(_md(text(cell)) for cell in row) + " |" for row in table.rows]
        lines.append("")
    return "\n".join(lines)


def _md(value: str) -> str:
    """A table cell: HTML escaped (a name may carry markup; Markdown renderers pass raw HTML on)."""
    return escape(value, quote=False).replace("|", "\\|").replace("\n", " ")


def _numeric(table: Table, index: int) -> bool:
    values = [row[index] for row in table.rows if row[index] is not None]
    return bool(values) and all(isinstance(v, int | float) for v in values)


STYLE = """body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2rem;color:#222;max-width:80rem}
table{border-collapse:collapse;margin:0 0 1.5rem;font-size:.85rem}th,td{border:1px solid #bbb;padding:.2rem .4rem}
th{background:#eef1f5;text-align:left}td.n{text-align:right}nav li{margin:.1rem 0}img{max-width:100%}"""


def html(report: Report, tables: list[Table], charts: list[Chart]) -> str:
    sections = [("zusammenfassung", "Zusammenfassung")]
    sections += [(f"diagramm-{c.key}", c.title) for c in charts]
    sections += [(t.key, t.title) for t in tables]
    out = ["<!DOCTYPE html>", '<html lang="de"><head><meta charset="utf-8">',
           f"<title>{escape(report.title)} – {german_date(report.as_of)}</title>", f"<style>{STYLE}</style>",
           "</head><body>", f"<h1>{escape(report.title)}</h1>", f"<p><strong>{escape(subtitle(report))}</strong></p>",
           f"<p>{escape(SCOPE_NOTE.format(day=german_date(report.as_of)))}</p>",
           "<nav><h2>Inhalt</h2><ol>",
           *(f'<li><a href="#{key}">{escape(title)}</a></li>' for key, title in sections),
           "</ol></nav>", '<h2 id="zusammenfassung">Zusammenfassung</h2>',
           "<ul>", *(f"<li>{escape(line)}</li>" for line in report.summary.splitlines()), "</ul>"]
    for chart in charts:
        data = base64.b64encode(chart.png).decode("ascii")
        out += [f'<h2 id="diagramm-{chart.key}">{escape(chart.title)}</h2>',
                f'<img alt="{escape(chart.title)}" src="data:image/png;base64,{data}">']
    for table in tables:
        out += [f'<h2 id="{table.key}">{escape(table.title)}</h2>', _html_table(table)]
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _html_table(table: Table) -> str:
    if not table.rows:
        return "<p>Keine Einträge.</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = []
    for row in table.rows:
        cells = "".join(
            f'<td class="n">{escape(text(c))}</td>' if isinstance(c, int | float) else f"<td>{escape(text(c))}</td>"
            for c in row
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
