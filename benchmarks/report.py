"""Benchmark: the ministry's report on a nationwide-sized synthetic history.

A fresh SQLite domain database (migrated like any other) is filled with a synthetic build-out:
16 Länder, 10 regions each, 400 networks of the Saxon template with their stage runs and every
stage transition as an audit event (opened, ready, completed, some waived, some late, some still
open or overdue), 40,000 public schools (about 8 % Förderschulen with Förderschwerpunkte, some out
of scope, some closed during the period) assigned to the networks by memberships, the partners,
consultations, protocols and 12,000 outbox messages (sent and failed). Then the full report — read
the history, rebuild the figures for the date and for a comparison date, render, write the file —
is timed per format, as ``verbund report --as-of … --compare-to …`` does it.

Baseline in the same run: ``build_s`` (history read and figures for both dates, no rendering) and
``report_md_s`` (the same plus Markdown); the HTML report's time is printed beside the PDF's (issue 17).
Figures are medians of ``BENCH_RUNS`` runs (default 3). On a shared, busy machine wall time mostly
measures the wait for a core, so the HTML and PDF runs also report the process's CPU seconds
(``report_html_cpu_s``, ``report_pdf_cpu_s``).

Last line: ``networks=… schools=… events=… build_s=… report_md_s=… report_html_s=… report_html_cpu_s=…
report_pdf_s=… report_pdf_cpu_s=… report_xlsx_s=…`` (targets: report_pdf_s < 10 s, the tagged PDF of
issue 17; report_xlsx_s < 5 s).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from verbund.domain.models import Contact, Membership, Network, Organisation, Region
from verbund.domain.outbox import OutboxItem
from verbund.domain.process import load_template
from verbund.domain.stages import AuditEvent, StageRun
from verbund.domain.work import Consultation, Protocol
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import BERLIN
from verbund.services.app.settings import Settings
from verbund.services.report import build_report, write_report

LANDS = ("BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH")
REGIONS_PER_LAND = 10
NETWORKS = 400
SCHOOLS = 40_000
MESSAGES_PER_NETWORK = 30
TEMPLATE = "sachsen-inklusion"
START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
AS_OF = dt.date(2021, 6, 30)
COMPARE_TO = dt.date(2020, 12, 31)
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
FOCI = ("Lernen", "Sprache", "emotionale und soziale Entwicklung", "geistige Entwicklung",
        "körperliche und motorische Entwicklung", "Hören", "Sehen")
PARTNERS = ("school_board", "youth_welfare", "social_welfare", "student_transport")
BATCH = 5_000

Rows = dict[str, list[dict[str, Any]]]


def synthetic_history(seed: int = 6) -> Rows:
    """Rows per table for the whole country (deterministic for a seed)."""
    rnd = random.Random(seed)
    stages = [stage.name for stage in load_template(TEMPLATE).stages]
    rows: Rows = {name: [] for name in ("region", "network", "organisation", "contact", "membership",
                                        "stagerun", "auditevent", "consultation", "protocol", "outboxitem")}
    regions = [
        {"id": uuid.uuid4(), "slug": f"{land.lower()}-region-{n:02d}", "name": f"Region {land} {n}", "state": land,
         "parent": None}
        for land in LANDS for n in range(1, REGIONS_PER_LAND + 1)
    ]
    rows["region"] = regions
    per_network = SCHOOLS // NETWORKS
    for index in range(NETWORKS):
        region = regions[index % len(regions)]
        created = START + dt.timedelta(days=rnd.randrange(0, 420), hours=rnd.randrange(0, 8))
        network = {"id": uuid.uuid4(), "slug": f"kv-{region['slug']}-{index:03d}",
                   "name": f"Kooperationsverbund {region['name']} Nr. {index + 1}", "region_id": region["id"],
                   "template": TEMPLATE, "created_at": created}
        rows["network"].append(network)
        _schools_and_partners(rnd, rows, network, region, created, per_network)
        _stages(rnd, rows, network, stages, created)
    return rows


def _schools_and_partners(
    rnd: random.Random, rows: Rows, network: dict[str, Any], region: dict[str, Any], created: dt.datetime,
    count: int,
) -> None:
    for n in range(count):
        needs = sorted(rnd.sample(FOCI, rnd.randint(1, 3))) if rnd.random() < 0.08 else []
        in_scope = rnd.random() > 0.02
        closed = created + dt.timedelta(days=rnd.randrange(30, 700)) if rnd.random() < 0.01 else None
        school = _organisation(f"{network['slug']}-s{n:03d}", f"Schule {n + 1} ({network['name']})", "public_school",
                               region["id"], needs, in_scope, closed)
        rows["organisation"].append(school)
        if in_scope and rnd.random() < 0.97:  # a few schools are still unassigned
            joined = created + dt.timedelta(days=rnd.randrange(0, 60))
            rows["membership"].append(_membership(network["id"], school["id"], joined, closed, exclusive=True))
    for kind in PARTNERS:
        partner = _organisation(f"{network['slug']}-{kind}", f"{kind} {network['name']}", kind, region["id"], [], True,
                                None)
        rows["organisation"].append(partner)
        rows["membership"].append(_membership(network["id"], partner["id"], created, None, exclusive=False))
        rows["contact"].append({"id": uuid.uuid4(), "organisation_id": partner["id"], "name": f"Kontakt {kind}",
                                "email": None, "function": None, "channels": ["local://bench"], "active": True})


def _organisation(
    source_id: str, name: str, kind: str, region_id: uuid.UUID, needs: list[str], in_scope: bool,
    closed: dt.datetime | None,
) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "source": "bench", "source_id": source_id, "name": name, "kind": kind,
            "region_id": region_id, "community": None, "community_key": None, "school_types": [],
            "special_needs": needs, "latitude": None, "longitude": None, "closed_at": closed, "in_scope": in_scope,
            "out_of_scope_reason": None if in_scope else "außerhalb des Zuständigkeitsbereichs"}


def _membership(
    network_id: uuid.UUID, organisation_id: uuid.UUID, since: dt.datetime, until: dt.datetime | None,
    *, exclusive: bool,
) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "network_id": network_id, "organisation_id": organisation_id, "role": "member",
            "valid_from": since, "valid_to": until, "exclusive": exclusive, "basis": None}


def _stages(rnd: random.Random, rows: Rows, network: dict[str, Any], stages: list[str], created: dt.datetime) -> None:
    """Stage runs and their transitions: each stage opens when the previous one ends."""
    reached = rnd.randint(0, len(stages))  # stages finished by the end of the history
    at = created + dt.timedelta(hours=1)
    contacts = rows["contact"][-len(PARTNERS):]
    for position, name in enumerate(stages):
        run = {"id": uuid.uuid4(), "network_id": network["id"], "stage": name, "cycle": 1, "position": position,
               "state": "pending", "due": None, "opened_at": None, "ready_at": None, "completed_at": None,
               "waived_at": None, "waiver_reason": None, "changed_at": None, "version": 0}
        rows["stagerun"].append(run)
        if position > reached:
            continue
        run.update(state="open", opened_at=at, changed_at=at, due=(at + dt.timedelta(days=28)).date())
        _event(rows, network["id"], name, at, "pending", "open")
        _messages(rnd, rows, network["id"], name, contacts, at)
        if position == reached:
            continue  # still open at the end (overdue if its due date has passed)
        done = at + dt.timedelta(days=rnd.randrange(7, 45), hours=rnd.randrange(0, 6))
        if rnd.random() < 0.05:
            _event(rows, network["id"], name, done, "open", "waived")
            run.update(state="waived", waived_at=done, waiver_reason="Vorarbeiten anerkannt", changed_at=done)
        else:
            _event(rows, network["id"], name, done, "open", "ready")
            _event(rows, network["id"], name, done, "ready", "completed")
            run.update(state="completed", ready_at=done, completed_at=done, changed_at=done)
            _work(rows, network["id"], name, done)
        at = done


def _event(rows: Rows, network_id: uuid.UUID, stage: str, at: dt.datetime, before: str, after: str) -> None:
    rows["auditevent"].append({"id": uuid.uuid4(), "at": at, "recorded_at": at, "actor": "system",
                               "network_id": network_id, "stage": stage, "cycle": 1, "entity": "stage",
                               "action": "transition", "from_state": before, "to_state": after, "reason": None,
                               "detail": {}})


def _work(rows: Rows, network_id: uuid.UUID, stage: str, done: dt.datetime) -> None:
    if stage == "consultation":
        rows["consultation"].append({"id": uuid.uuid4(), "network_id": network_id, "status": "held",
                                     "starts_at": done, "place": "Rathaus", "invitations_sent_at": None,
                                     "held_at": done, "sequence": 0, "decisions": []})
    if stage == "protocol":
        rows["protocol"].append({"id": uuid.uuid4(), "network_id": network_id, "status": "published", "body": "",
                                 "objection_deadline": None, "circulated_at": None, "approved_at": done,
                                 "approved_by": "po@example.org", "published_at": done, "content_hash": None,
                                 "drafted_by": "koordination@example.org"})


def _messages(
    rnd: random.Random, rows: Rows, network_id: uuid.UUID, stage: str, contacts: list[dict[str, Any]],
    opened: dt.datetime,
) -> None:
    for n in range(MESSAGES_PER_NETWORK // 5):
        contact = contacts[n % len(contacts)]
        when = opened + dt.timedelta(days=n, hours=1)
        failed = rnd.random() < 0.03
        rows["outboxitem"].append({
            "id": uuid.uuid4(), "key": uuid.uuid4().hex, "delivery": None, "contact_id": contact["id"],
            "network_id": network_id, "stage": stage, "subject": f"{network_id}:{stage}", "kind": "reminder",
            "due": when.date(), "send_after": when, "status": "failed" if failed else "sent",
            "attempts": 1, "last_error": "Zustellung abgelehnt" if failed else None,
            "claimed_at": when, "sent_at": None if failed else when, "created_at": opened, "context": {}})


TABLES = {"region": Region, "network": Network, "organisation": Organisation, "contact": Contact,
          "membership": Membership, "stagerun": StageRun, "auditevent": AuditEvent,
          "consultation": Consultation, "protocol": Protocol, "outboxitem": OutboxItem}


def load(engine: Engine, rows: Rows) -> None:
    with engine.begin() as connection:
        for name, model in TABLES.items():
            table = model.__table__  # type: ignore[attr-defined]
            for start in range(0, len(rows[name]), BATCH):
                connection.execute(insert(table), rows[name][start:start + BATCH])


def median_seconds(action: Callable[[], object]) -> tuple[float, float]:
    """Median wall and CPU seconds of ``RUNS`` runs."""
    times, cpu = [], []
    for _ in range(RUNS):
        began, began_cpu = time.perf_counter(), time.process_time()
        action()
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="verbund-bench-report-") as folder:
        app = bootstrap(Settings(database_url=f"sqlite:///{folder}/bench.db"))
        try:
            rows = synthetic_history()
            began = time.perf_counter()
            load(app.engine, rows)
            print(f"synthetic history loaded in {time.perf_counter() - began:.1f} s: "
                  + ", ".join(f"{name} {len(values)}" for name, values in rows.items()), flush=True)
            report = build_report(app, AS_OF, compare_to=COMPARE_TO)
            total = report.figures.total
            print(f"check: networks {total.networks}, schools in scope {total.schools_in_scope}, "
                  f"assigned {total.schools_assigned}, completed {total.completed}, overdue {total.overdue}, "
                  f"changes {len(report.changes)}", flush=True)
            figures: dict[str, float] = {
                "build_s": median_seconds(lambda: build_report(app, AS_OF, compare_to=COMPARE_TO))[0]}
            for fmt in ("md", "html", "pdf", "xlsx"):
                target = Path(folder) / f"bericht.{fmt}"
                wall, cpu = median_seconds(partial(write_report, app, AS_OF, fmt, target, compare_to=COMPARE_TO))
                figures[f"report_{fmt}_s"] = wall
                if fmt in ("html", "pdf"):
                    figures[f"report_{fmt}_cpu_s"] = cpu
                print(f"{fmt}: {target.stat().st_size / 1e6:.1f} MB in {wall:.2f} s (CPU {cpu:.2f} s)", flush=True)
        finally:
            app.engine.dispose()
    counts = f"networks={NETWORKS} schools={SCHOOLS} events={len(rows['auditevent'])}"
    print(counts + " " + " ".join(f"{key}={value:.2f}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
