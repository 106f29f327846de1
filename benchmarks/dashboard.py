"""Dashboard under load: 400 networks, 40,000 organisations, ``--clients N`` clients (default 20) with
1 s think time, on SQLite or on PostgreSQL (``VERBUND_DATABASE_URL=postgresql+psycopg://…``: the
benchmark creates a database of its own on that server and drops it afterwards).

Builds a synthetic nationwide database with bulk inserts: 20 regions in three Länder, 400 networks
of 100 member organisations each (70 % public schools) and 20 public schools per region in no network,
all with coordinates (the region page's map and suggestions), one contact per member organisation
with three messages each (120,000 outbox items). Serves it exactly as production does: ``verbund serve --port P
[--workers N]`` in its own process, on a free loopback port. The clients (each logged in as a Land
process owner or the ministry; the logins happen before the measured window) request region and Land
overview pages (at most 100 networks a page) and network pages (100 members each), with 1 s think
time, for ``--duration`` seconds; each client starts at a random offset within the first think time,
as people do not click in step; every page's content is checked. Clients send no conditional
requests (no ``If-None-Match``), so 304s do not flatter the figures.

Two phases on the same database, each with a fresh server: first with the page cache off
(``VERBUND_DASHBOARD_CACHE=0``: the in-run baseline), then with it on. Baselines in the same run:
``/healthz`` under the same load and the pages with the cache off. The last line gives p50/p95 per
page kind for both phases, the share of first views (a page a role has not asked for yet in the phase:
rendered for it, a miss of the page cache) with the p95 of first views and of repeats, the server's
CPU time per page (server process and its workers), on PostgreSQL the database backends' CPU time per
page (``db_cpu``, read from ``/proc`` of the local server), and the machine's load average before and
after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import insert

from verbund.domain.models import Contact, Membership, Network, Organisation, Region
from verbund.domain.outbox import OutboxItem
from verbund.domain.stages import StageRun
from verbund.services.access.users import add_user
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
NETWORKS, ORGANISATIONS, CLIENTS, THINK, DURATION = 400, 40_000, 20, 1.0, 30.0
LANDS = {"SN": 8, "NW": 8, "HE": 4}  # regions per Land: 20 regions, 20 networks each
STAGES = ["analysis", "potentials", "goals", "consultation", "protocol"]
PASSWORD = "benchmark-passwort-12345"
# every member organisation has one contact, who has had these messages (kind, status)
MESSAGES = [("stage_opened", "sent"), ("reminder", "sent"), ("overdue", "failed")]
UNASSIGNED = 20  # public schools per region in no network (with coordinates, as every organisation)


def build(url: str) -> tuple[list[str], list[str]]:
    app = bootstrap(Settings(database_url=url))
    now = dt.datetime.now(dt.UTC)
    rnd = random.Random(5)
    regions, networks, orgs, members, runs, contacts, outbox = [], [], [], [], [], [], []
    for land, count in LANDS.items():
        for index in range(count):
            regions.append({"id": uuid.uuid4(), "slug": f"{land.lower()}-region-{index:02d}",
                            "name": f"Region {land} {index}", "state": land, "parent": None})
    per_region = NETWORKS // len(regions)
    per_network = ORGANISATIONS // NETWORKS
    places = random.Random(13)  # coordinates apart from ``rnd``, which draws the stages
    for number, region in enumerate(regions):
        centre = (50.0 + number % 5 * 0.5, 7.0 + number // 5 * 1.5)  # a region about 40 km across

        def coordinates(centre: tuple[float, float] = centre) -> dict[str, float]:
            return {"latitude": centre[0] + places.uniform(-0.2, 0.2),
                    "longitude": centre[1] + places.uniform(-0.3, 0.3)}

        for u in range(UNASSIGNED):  # schools in no network yet: the region page suggests one
            orgs.append({"id": uuid.uuid4(), "source": "bench", "source_id": f"{region['slug']}-frei-{u}",
                         "name": f"Schule ohne Verbund {region['slug']} {u}", "kind": "public_school",
                         "region_id": region["id"], "school_types": [], "special_needs": [], "in_scope": True,
                         **coordinates()})
        for n in range(per_region):
            nid = uuid.uuid4()
            slug = f"kv-{region['slug']}-{n:02d}"
            networks.append({"id": nid, "slug": slug, "name": f"Verbund {slug}", "region_id": region["id"],
                             "template": "sachsen-inklusion", "created_at": now})
            done = rnd.randint(0, 5)
            for position, stage in enumerate(STAGES):
                state = "completed" if position < done else ("open" if position == done else "pending")
                runs.append({"id": uuid.uuid4(), "network_id": nid, "stage": stage, "cycle": 1, "position": position,
                             "state": state, "due": (now + dt.timedelta(days=rnd.randint(-20, 40))).date()
                             if state == "open" else None, "version": 0})
            for o in range(per_network):
                oid = uuid.uuid4()
                kind = "public_school" if o < per_network * 0.7 else "youth_welfare"
                orgs.append({"id": oid, "source": "bench", "source_id": f"{slug}-{o}", "name": f"Schule {slug} {o}",
                             "kind": kind, "region_id": region["id"], "school_types": [], "special_needs": [],
                             "in_scope": True, **coordinates()})
                members.append({"id": uuid.uuid4(), "network_id": nid, "organisation_id": oid, "role": "member",
                                 "valid_from": now, "exclusive": False})
                cid = uuid.uuid4()
                contacts.append({"id": cid, "organisation_id": oid, "name": f"Kontakt {slug} {o}",
                                 "email": f"k{o}@{slug}.example", "channels": [f"local://k{o}-{slug}"], "active": True})
                for m, (kind_, status) in enumerate(MESSAGES):
                    day = (now - dt.timedelta(days=30 - 10 * m)).date()
                    outbox.append({"id": uuid.uuid4(), "key": f"{cid.hex}-{m}", "contact_id": cid, "network_id": nid,
                                   "stage": STAGES[0], "subject": f"{nid}:{STAGES[0]}:1", "kind": kind_, "due": day,
                                   "send_after": now, "status": status, "attempts": 1, "created_at": now,
                                   "sent_at": now if status == "sent" else None, "context": {}})
    with app.engine.begin() as connection:
        for table, rows in ((Region, regions), (Network, networks), (Organisation, orgs), (Membership, members),
                            (StageRun, runs), (Contact, contacts), (OutboxItem, outbox)):
            connection.execute(insert(table.__table__), rows)  # type: ignore[union-attr]
    add_user(app, email="land@bench.example", role="process_owner", password=PASSWORD, region="SN")
    add_user(app, email="ministerium@bench.example", role="ministry", password=PASSWORD)
    if app.engine.dialect.name == "postgresql":
        # the planner's statistics, as autovacuum gathers them within a minute of a bulk load on a
        # server with default settings; without them (autovacuum off, as on the test server) it
        # guesses row counts and hashes whole tables: ≈ 2× the database CPU of a page
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    app.engine.dispose()
    return [str(r["slug"]) for r in regions], [str(n["slug"]) for n in networks]


def login(client: httpx.Client, email: str) -> None:
    page = client.get("/login")
    nonce = page.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"csrf": nonce, "email": email, "password": PASSWORD})


def serve(url: str, port: int, folder: Path, *, cache: bool, workers: int | None) -> subprocess.Popen[bytes]:
    """``verbund serve`` on ``port`` in its own process (as in production), once ``/healthz`` answers."""
    env = {**os.environ, "VERBUND_DATABASE_URL": url, "VERBUND_DASHBOARD_CACHE": "1" if cache else "0"}
    env.pop("PREFECT_API_URL", None)
    log = (folder / "serve.log").open("ab")
    command = [sys.executable, "-c", "from verbund.cli.main import app; app(prog_name='verbund')", "serve",
               "--host", "127.0.0.1", "--port", str(port), "--no-sweep"]
    if workers:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"verbund serve endete mit {server.returncode}: {(folder / 'serve.log').read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("verbund serve antwortet nicht auf /healthz")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def check_page(kind: str, path: str, html: str) -> None:
    """The pages really show what the load asks for (not an error or an empty page)."""
    links = html.count('href="/verbund/kv-')  # network links, stage cells link to the network's stages
    if kind == "network":
        shown = html.count("Schule kv-")
        assert shown >= ORGANISATIONS // NETWORKS, (path, shown)
    else:  # each network's row links to it and to each of its stages
        networks = 100 if path.endswith("seite=1") else NETWORKS // sum(LANDS.values()) if kind == "region" else 1
        assert links >= networks * (1 + len(STAGES)), (path, links)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu(url: str) -> Callable[[], float]:
    """Seconds of CPU the PostgreSQL backends of ``url``'s database have used so far (0 on SQLite).

    Sums ``/proc/<pid>/stat`` over the backends ``pg_stat_activity`` lists for the database, except the
    one asking; a backend that ended between two readings is missed (the pool keeps its connections)."""
    if not url.startswith("postgresql"):
        return lambda: 0.0
    from sqlalchemy import create_engine, text

    monitor = create_engine(url).connect()
    monitor.execution_options(isolation_level="AUTOCOMMIT")
    ticks = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        pids = monitor.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND pid <> pg_backend_pid()")).scalars().all()
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    return used


def serving_processes(pid: int) -> list[int]:
    """The server and its uvicorn workers (not the local Prefect server it owns)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if parent == pid and b"spawn_main" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


WARM_UP = 3  # requests of each page kind before the window, on pages the clients never ask for


def warm_up(base: str, regions: list[str], networks: list[str]) -> None:
    """A server that has been running: its templates compiled, its statements cached, its first-call
    imports done. Only pages of the other Länder (the clients ask for Saxony's), so every page the
    window measures is still a first view the first time it is asked for."""
    with httpx.Client(base_url=base, timeout=120) as client:
        login(client, "ministerium@bench.example")
        for index in range(WARM_UP):
            land = regions[index % len(regions)][:2].upper()
            for path in (f"/uebersicht?region={regions[index]}", f"/uebersicht?land={land}&seite=1",
                         f"/verbund/{networks[index]}"):
                assert client.get(path).status_code == 200, path


def measure(base: str, server: subprocess.Popen[bytes], regions: list[str], networks: list[str], clients: int,
            duration: float, db_cpu: Callable[[], float]) -> dict[str, float]:
    """One load phase: the clients' latencies per page kind, ``/healthz`` and the server's CPU per page."""
    pages: list[float] = []
    by_kind: dict[str, list[float]] = {"region": [], "land": [], "network": []}
    health: list[float] = []
    # a page (path) a role has not asked for yet in this phase: a first view, rendered for it (a miss of the
    # page cache, since the data does not change during the window); the rest are repeats (hits)
    seen: set[tuple[str, str]] = set()
    first: list[float] = []
    repeat: list[float] = []
    lock = threading.Lock()
    stop_at: list[float] = []  # set once, when the last client has signed in
    cpu_at_start: list[float] = []
    processes = serving_processes(server.pid)

    def start_window() -> None:
        cpu_at_start.append(sum(cpu_seconds(p) for p in processes))
        cpu_at_start.append(db_cpu())
        stop_at.append(time.monotonic() + duration)

    ready = threading.Barrier(clients, action=start_window)
    sn_regions = [r for r in regions if r.startswith("sn-")]
    sn_networks = [n for n in networks if n.startswith("kv-sn-")]
    failures: list[BaseException] = []

    def client_loop(number: int) -> None:
        rnd = random.Random(number)
        email = "land@bench.example" if number % 2 else "ministerium@bench.example"
        try:
            # idle connections are dropped before uvicorn's keep-alive timeout (5 s) closes them under us
            with httpx.Client(base_url=base, timeout=120, limits=httpx.Limits(keepalive_expiry=2)) as client:
                login(client, email)
                ready.wait()
                time.sleep(rnd.random() * THINK)
                while time.monotonic() < stop_at[0]:
                    choice = rnd.random()
                    if choice < 0.3:
                        kind, path = "region", f"/uebersicht?region={rnd.choice(sn_regions)}"
                    elif choice < 0.5:
                        kind, path = "land", f"/uebersicht?land=SN&seite={rnd.randint(1, 2)}"
                    else:
                        kind, path = "network", f"/verbund/{rnd.choice(sn_networks)}"
                    t0 = time.perf_counter()
                    response = client.get(path)  # never conditional: no If-None-Match
                    elapsed = (time.perf_counter() - t0) * 1000
                    assert response.status_code == 200, (path, response.status_code)
                    check_page(kind, path, response.text)
                    t1 = time.perf_counter()
                    client.get("/healthz")
                    with lock:
                        (repeat if (path, email) in seen else first).append(elapsed)
                        seen.add((path, email))
                        pages.append(elapsed)
                        by_kind[kind].append(elapsed)
                        health.append((time.perf_counter() - t1) * 1000)
                    time.sleep(THINK)
        except BaseException as error:  # reported after the phase
            failures.append(error)
            ready.abort()

    warm_up(base, [r for r in regions if not r.startswith("sn-")], [n for n in networks if not n.startswith("kv-sn-")])
    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"Lastphase abgebrochen: {failures[0]!r}")
    server_cpu = sum(cpu_seconds(p) for p in processes) - cpu_at_start[0]
    database = db_cpu() - cpu_at_start[1]
    figures = {"p50_ms": statistics.median(pages), "p95_ms": pct(pages, 95), "requests": float(len(pages)),
               "healthz_p95_ms": pct(health, 95), "server_cpu_ms_per_page": 1000 * server_cpu / len(pages),
               "db_cpu_ms_per_page": 1000 * database / len(pages)}
    figures["first_view_share"] = len(first) / len(pages)
    for name, values in (("first_view", first), ("repeat", repeat)):
        if values:
            figures[f"{name}_p50_ms"] = statistics.median(values)
            figures[f"{name}_p95_ms"] = pct(values, 95)
    for kind, values in by_kind.items():
        if values:
            figures[f"{kind}_p50_ms"] = statistics.median(values)
            figures[f"{kind}_p95_ms"] = pct(values, 95)
    return figures


def database(folder: Path) -> tuple[str, str | None]:
    """The benchmark's database URL, and the PostgreSQL database it created (dropped at the end)."""
    configured = os.environ.get("VERBUND_DATABASE_URL", "")
    if not configured.startswith("postgresql"):
        return f"sqlite:///{folder / 'bench.db'}", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"verbund_bench_{uuid.uuid4().hex[:8]}"
    server = create_engine(configured, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return make_url(configured).set(database=name).render_as_string(hide_password=False), name


def drop(configured: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    server = create_engine(configured, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description="Dashboard unter Last (Issue 20)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="gleichzeitige Nutzer (20, 100)")
    parser.add_argument("--duration", type=float, default=DURATION, help="Messfenster je Phase in Sekunden")
    parser.add_argument("--workers", type=int, default=None, help="verbund serve --workers (Vorgabe: dessen eigene)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="verbund-bench-"))
    url, created = database(folder)
    load_before = os.getloadavg()[0]
    try:
        started = time.perf_counter()
        regions, networks = build(url)
        print(f"Datenbank aufgebaut ({make_kind(url)}): {len(networks)} Verbünde, {ORGANISATIONS} Organisationen, "
              f"{ORGANISATIONS * len(MESSAGES)} Nachrichten ({time.perf_counter() - started:.1f} s)", flush=True)
        results: dict[str, dict[str, float]] = {}
        for phase, cache in (("nocache", False), ("cache", True)):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            server = serve(url, port, folder, cache=cache, workers=args.workers)
            try:
                results[phase] = measure(f"http://127.0.0.1:{port}", server, regions, networks, args.clients,
                                         args.duration, database_cpu(url))
            finally:
                stop(server)
            print(f"Phase {phase}: " + " ".join(f"{k}={v:.1f}" for k, v in results[phase].items()), flush=True)
    finally:
        if created:
            drop(os.environ["VERBUND_DATABASE_URL"], created)
        shutil.rmtree(folder, ignore_errors=True)
    on, off = results["cache"], results["nocache"]
    kinds = ("region", "land", "network")
    print(f"database={make_kind(url)} clients={args.clients} workers={args.workers or 'default'} "
          f"networks={NETWORKS} organisations={ORGANISATIONS} "
          f"p50_ms={on['p50_ms']:.1f} p95_ms={on['p95_ms']:.1f} requests={on['requests']:.0f} "
          + " ".join(f"p50_{k}_ms={on[f'{k}_p50_ms']:.1f} p95_{k}_ms={on[f'{k}_p95_ms']:.1f}" for k in kinds)
          + f" first_view_share={on['first_view_share']:.3f} p95_first_view_ms={on.get('first_view_p95_ms', 0):.1f} "
          f"p95_repeat_ms={on.get('repeat_p95_ms', 0):.1f}"
          + f" server_cpu_ms_per_page={on['server_cpu_ms_per_page']:.1f} "
          f"db_cpu_ms_per_page={on['db_cpu_ms_per_page']:.1f} "
          f"baseline_healthz_p95_ms={on['healthz_p95_ms']:.1f} "
          f"baseline_nocache_p50_ms={off['p50_ms']:.1f} baseline_nocache_p95_ms={off['p95_ms']:.1f} "
          + " ".join(f"baseline_nocache_p95_{k}_ms={off[f'{k}_p95_ms']:.1f}" for k in kinds)
          + f" baseline_nocache_server_cpu_ms_per_page={off['server_cpu_ms_per_page']:.1f} "
          f"baseline_nocache_db_cpu_ms_per_page={off['db_cpu_ms_per_page']:.1f} "
          f"baseline_nocache_requests={off['requests']:.0f} "
          f"baseline_nocache_healthz_p95_ms={off['healthz_p95_ms']:.1f} "
          f"cpus={os.cpu_count()} load_1m_before={load_before:.1f} load_1m={os.getloadavg()[0]:.1f}")


def make_kind(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


if __name__ == "__main__":
    main()
