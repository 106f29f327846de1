"""The progress the importer reports while it stores a long file (the CLI draws it as a bar)."""

from __future__ import annotations

from pathlib import Path

from verbund.services.app.bootstrap import App
from verbund.services.importers import NrwAdapter, import_file
from verbund.services.importers.apply import BATCH

HEADER = ("Schulnummer;Schulform;Schulbezeichnung_1;Kurzbezeichnung;Ort;Rechtsform;Gemeindeschluessel;"
          "Schulbetriebsschluessel;Schulbetriebsdatum;EPSG;UTMRechtswert;UTMHochwert")


def nrw_file(path: Path, count: int) -> Path:
    """``count`` Bochum primary schools in the MSB format."""
    rows = [f"{100000 + n};02;Grundschule {n};Bochum, GG;Bochum;1;05911000;1;01.08.1970;EPSG:25832;"
            f"{370000 + n % 1000};{5705000 + n % 997}" for n in range(count)]
    path.write_text("sep=;\n" + HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_an_import_reports_progress_in_batches_up_to_the_last_school(app: App, tmp_path: Path) -> None:
    count = 2 * BATCH + 17
    seen: list[tuple[int, int]] = []

    report = import_file(app, NrwAdapter(), nrw_file(tmp_path / "schuldaten.csv", count),
                         progress=lambda done, total: seen.append((done, total)))

    assert report.created == count and report.rejected == []
    assert seen == [(BATCH, count), (2 * BATCH, count), (count, count)]

