"""Where a dashboard page's time goes: query, Python and template time per page kind (issue 20).

Builds the nationwide database of ``benchmarks/dashboard.py`` (400 networks, 40,000 organisations,
120,000 messages) or reuses one (``--database URL``), then requests each page kind one at a time in
this process (no network, no other clients) as a Land process owner and as the ministry, and splits
each request's time into:
- query: time inside the SQLite driver (executing and fetching rows; SQLite only);
- template: Jinja2 rendering (``TemplateResponse``);
- Python: the rest (routing, session check, SQLAlchemy's statements and row conversion, the read
  models, the cache when enabled).
Times are wall times of one request at a time in this process; ``cpu`` is the process's CPU time;
on PostgreSQL ``db_cpu`` is the CPU time of the server's backends of the database (a local server:
read from ``/proc``), which the process's CPU time does not include.
Last line: ``key=value`` per page kind (medians over ``--rounds`` requests after a warm-up).
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.util
import os
import sqlite3
import sqlite3.dbapi2
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from verbund.dashboard import create_app
from verbund.dashboard import web as dashboard_web
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings
from verbund.services.forecast.cache import refresh_forecasts

_spec = importlib.util.spec_from_file_location("dashboard_bench", Path(__file__).with_name("dashboard.py"))
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
NETWORKS, PASSWORD, build, database_cpu = bench.NETWORKS, bench.PASSWORD, bench.build, bench.database_cpu


class Timer:
    """Accumulates driver and template time of the request in progress (requests run one at a time)."""

    def __init__(self) -> None:
        self.query = 0.0
        self.template = 0.0


TIMER = Timer()


class TimedCursor(sqlite3.Cursor):
    """A SQLite cursor that adds the time spent in the driver (executing and fetching) to ``TIMER``."""

    def execute(self, *args: Any) -> Any:  # type: ignore[override]
        t0 = time.perf_counter()
        try:
            return super().execute(*args)
        finally:
            TIMER.query += time.perf_counter() - t0

    def executemany(self, *args: Any) -> Any:  # type: ignore[override]
        t0 = time.perf_counter()
        try:
            return super().executemany(*args)
        finally:
            TIMER.query += time.perf_counter() - t0

    def fetchone(self) -> Any:
        t0 = time.perf_counter()
        try:
            return super().fetchone()
        finally:
            TIMER.query += time.perf_counter() - t0

    def fetchmany(self, *args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return super().fetchmany(*args)
        finally:
            TIMER.query += time.perf_counter() - t0

    def fetchall(self) -> Any:
        t0 = time.perf_counter()
        try:
            return super().fetchall()
        finally:
            TIMER.query += time.perf_counter() - t0


class TimedConnection(sqlite3.Connection):
    def cursor(self, factory: Any = TimedCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)


def instrument() -> None:
    """Time the SQLite driver (every connection made from now on) and Jinja2 rendering."""
    timed_connect = functools.partial(sqlite3.dbapi2.connect, factory=TimedConnection)
    sqlite3.connect = sqlite3.dbapi2.connect = timed_connect  # type: ignore[assignment]  # SQLAlchemy uses dbapi2
    original: Callable[..., Any] = dashboard_web.templates.TemplateResponse

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMER.template += time.perf_counter() - t0

    dashboard_web.templates.TemplateResponse = timed  # type: ignore[method-assign]


def login(client: TestClient, email: str) -> None:
    page = client.get("/login")
    nonce = page.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"csrf": nonce, "email": email, "password": PASSWORD}, follow_redirects=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL of an already built benchmark database")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    url = args.database
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='verbund-profile-')) / 'bench.db'}"
        build(url)
    instrument()
    app = bootstrap(Settings(database_url=url))
    refresh_forecasts(app)  # what the daily sweep does; pages never compute it
    with app.uow() as uow:
        from sqlmodel import select

        from verbund.domain.models import Network, Region
        region = uow.session.exec(select(Region.slug).where(Region.state == "SN").order_by(Region.slug)).first()
        network = uow.session.exec(select(Network.slug).where(Network.slug.startswith("kv-sn-"))  # type: ignore[attr-defined]
                                   .order_by(Network.slug)).first()
    timer = TIMER
    db_used = database_cpu(url)
    gc.collect()  # as ``verbund serve`` does after start-up
    gc.freeze()
    pages = {
        "overview": "/uebersicht?land=SN&seite=1",
        "overview_region": f"/uebersicht?region={region}",
        "region": f"/region/{region}",
        "network": f"/verbund/{network}",
    }
    results: list[str] = []
    for role, email in (("po", "land@bench.example"), ("ministry", "ministerium@bench.example")):
        with TestClient(create_app(app)) as client:
            login(client, email)
            for kind, path in pages.items():
                totals, queries, templates, cpus, db_cpus = [], [], [], [], []
                for round_ in range(args.rounds + 2):
                    timer.query = timer.template = 0.0
                    d0 = db_used()
                    c0, t0 = time.process_time(), time.perf_counter()
                    response = client.get(path)
                    total, cpu = time.perf_counter() - t0, time.process_time() - c0
                    db_cpu = db_used() - d0
                    assert response.status_code == 200, (path, response.status_code)
                    if round_ >= 2:  # warm-up: template compilation, first reads
                        totals.append(total)
                        queries.append(timer.query)
                        templates.append(timer.template)
                        cpus.append(cpu)
                        db_cpus.append(db_cpu)
                total_ms = 1000 * statistics.median(totals)
                query_ms = 1000 * statistics.median(queries)
                template_ms = 1000 * statistics.median(templates)
                python_ms = total_ms - query_ms - template_ms
                results.append(f"{role}_{kind}_total_ms={total_ms:.1f} {role}_{kind}_query_ms={query_ms:.1f} "
                               f"{role}_{kind}_python_ms={python_ms:.1f} {role}_{kind}_template_ms={template_ms:.1f} "
                               f"{role}_{kind}_cpu_ms={1000 * statistics.median(cpus):.1f} "
                               f"{role}_{kind}_db_cpu_ms={1000 * statistics.mean(db_cpus):.1f}")
                print(f"{role:8} {kind:16} gesamt {total_ms:6.1f} ms · Abfragen {query_ms:6.1f} · Python "
                      f"{python_ms:6.1f} · Vorlage {template_ms:6.1f} · CPU {1000 * statistics.median(cpus):6.1f} · "
                      f"DB-CPU {1000 * statistics.mean(db_cpus):6.1f}",
                      flush=True)
    print(f"networks={NETWORKS} cache={os.environ.get('VERBUND_DASHBOARD_CACHE', '1')} "
          f"load_1m={os.getloadavg()[0]:.1f} " + " ".join(results))


if __name__ == "__main__":
    main()
