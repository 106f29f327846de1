"""Benchmark: importing a nationwide-sized school file vs. a bare insert of the same rows.

Generates a synthetic MSB-style ``schuldaten.csv`` with 40,000 schools (``BENCH_SCHOOLS``) spread
over the 53 Kreise and kreisfreie Städte of NRW, with UTM 32N coordinates, Förderschulen with
Förderschwerpunkte in the Kurzbezeichnung, private schools and a few resting ones. ``import_s`` is
the whole ``verbund import nrw`` path on a fresh SQLite database (read, validate, convert
coordinates, upsert regions, insert in one transaction, commit). ``bare_insert_s`` is a plain
``executemany`` of exactly the rows that import stored, into a fresh database with the same schema,
in one transaction — the floor any importer pays. A second import of the same file
(``reimport_s``: everything unchanged) is measured too.

Runs on a temporary SQLite file by default. With ``VERBUND_DATABASE_URL=postgresql+psycopg://…`` it
creates two temporary databases on that server (the URL's role needs CREATEDB) and drops them after.

Last line: ``backend=… schools=… import_s=… bare_insert_s=… ratio=… reimport_s=…`` (target:
import_s < 10).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, insert, make_url, select

from verbund.domain.models import Organisation, Region
from verbund.domain.schools import nrw_kreise
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.ports import RecordingTrigger
from verbund.services.app.settings import Settings
from verbund.services.importers import NrwAdapter, import_file

ORGANISATION = Organisation.__table__  # type: ignore[attr-defined]
REGION = Region.__table__  # type: ignore[attr-defined]
SCHOOLS = int(os.environ.get("BENCH_SCHOOLS", "40000"))
HEADER = ["Schulnummer", "Schulform", "Schulbezeichnung_1", "Schulbezeichnung_2", "Schulbezeichnung_3",
          "Kurzbezeichnung", "Bezirksregierung", "PLZ", "Ort", "Strasse", "Rechtsform", "Traegernummer",
          "Gemeindeschluessel", "Schulbetriebsschluessel", "Schulbetriebsdatum", "EPSG", "UTMRechtswert",
          "UTMHochwert"]
FORMS = ["02"] * 10 + ["04", "10", "14", "15", "20", "30", "08"]
FOCI = ["LE", "SQ", "ES", "GG", "KM", "HK", "SE", "LE, ES", "SQ, LE"]


def synthetic_file(path: Path, count: int) -> None:
    rng = random.Random(4)
    kreise = sorted(nrw_kreise())
    out = io.StringIO()
    out.write("sep=;\n")
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(HEADER)
    for number in range(count):
        kreis = rng.choice(kreise)
        form = rng.choice(FORMS)
        short = f"Ort {kreis}, FÖ {rng.choice(FOCI)}" if form == "08" else f"Ort {kreis}, GG"
        writer.writerow([
            f"{100000 + number}", form, f"Schule {number}", "", "", short, kreis[2], "40000", f"Ort {kreis}",
            f"Straße {number}", "2" if rng.random() < 0.08 else "1", "10100", f"{kreis}000",
            "4" if rng.random() < 0.005 else "1", "01.08.1970", rng.choice(["EPSG:25832", "null"]),
            str(rng.randint(290_000, 530_000)), str(rng.randint(5_600_000, 5_820_000)),
        ])
    path.write_text(out.getvalue(), encoding="utf-8")


@contextmanager
def databases(folder: str) -> Iterator[tuple[str, str]]:
    """URLs of two fresh databases: SQLite files, or temporary ones on VERBUND_DATABASE_URL's server."""
    configured = os.environ.get("VERBUND_DATABASE_URL", "")
    if not configured.startswith("postgresql"):
        yield f"sqlite:///{folder}/import.db", f"sqlite:///{folder}/bare.db"
        return
    server = make_url(configured)
    names = [f"verbund_bench_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("import", "bare")]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        first, second = (server.set(database=name).render_as_string(hide_password=False) for name in names)
        yield first, second
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    at = dt.datetime(2025, 9, 1, 9, tzinfo=BERLIN)
    with tempfile.TemporaryDirectory() as folder, databases(folder) as (import_url, bare_url):
        data = Path(folder) / "schuldaten.csv"
        synthetic_file(data, SCHOOLS)
        app = bootstrap(Settings(database_url=import_url), clock=ManualClock(at), trigger=RecordingTrigger())
        backend = app.engine.dialect.name
        start = time.perf_counter()
        report = import_file(app, NrwAdapter(), data)
        import_s = time.perf_counter() - start
        assert report.created == SCHOOLS and not report.rejected, report.rejected[:3]
        start = time.perf_counter()
        again = import_file(app, NrwAdapter(), data)
        reimport_s = time.perf_counter() - start
        assert again.unchanged == SCHOOLS, again
        with app.engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(select(ORGANISATION))]
            regions = [dict(row._mapping) for row in connection.execute(select(REGION))]
        app.engine.dispose()

        bare = bootstrap(Settings(database_url=bare_url), clock=ManualClock(at), trigger=RecordingTrigger())
        with bare.engine.begin() as connection:
            connection.execute(insert(REGION), regions)  # the schools' foreign keys; not timed
        start = time.perf_counter()
        with bare.engine.begin() as connection:
            connection.execute(insert(ORGANISATION), rows)
        bare_insert_s = time.perf_counter() - start
        bare.engine.dispose()
    print(f"{backend}, {SCHOOLS} schools: import {import_s:.2f} s ({report.out_of_scope} out of scope, private "
          f"{sum(1 for r in rows if r['kind'] == 'private_school')}), re-import {reimport_s:.2f} s, "
          f"bare executemany {bare_insert_s:.2f} s")
    print(f"backend={backend} schools={SCHOOLS} import_s={import_s:.3f} bare_insert_s={bare_insert_s:.3f} "
          f"ratio={import_s / bare_insert_s:.2f} reimport_s={reimport_s:.3f}")


if __name__ == "__main__":
    main()
