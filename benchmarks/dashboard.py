"""Dashboard under load: 400 networks, 40,000 organisations, 20 clients with 1 s think time.

Builds a synthetic nationwide database (SQLite file in a temporary folder) with bulk inserts: 20
regions in three Länder, 400 networks of 100 member organisations each (70 % public schools), one
contact per organisation with three messages each (120,000 outbox items). Serves it exactly as
production does: ``verbund serve --port P`` in its own process (same uvicorn settings, same
composition root, embedded mode), on a free loopback port. 20 concurrent clients (each logged in as
a Land process owner or the ministry; the logins happen before the measured window) request region
and Land overview pages (at most 100 networks a page) and network pages (100 members each), with
1 s think time, for ``DURATION`` seconds; each client starts at a random offset within the first
think time, as people do not click in step; every page's content is checked. Baseline in the same
run: ``/healthz`` under the same load. Last line: ``p50_ms p95_ms requests ...`` plus p95 per page
kind, the server's CPU time per page (with its ``/healthz``) and the machine's load.
"""

from __future__ import annotations

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
    for region in regions:
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
                             "in_scope": True})
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
    app.engine.dispose()
    return [str(r["slug"]) for r in regions], [str(n["slug"]) for n in networks]


def login(client: httpx.Client, email: str) -> None:
    page = client.get("/login")
    nonce = page.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"csrf": nonce, "email": email, "password": PASSWORD})


def serve(url: str, port: int, folder: Path) -> subprocess.Popen[bytes]:
    """``verbund serve`` on ``port`` in its own process (as in production), once ``/healthz`` answers."""
    env = {**os.environ, "VERBUND_DATABASE_URL": url}
    log = (folder / "serve.log").open("wb")
    command = [sys.executable, "-c", "from verbund.cli.main import app; app(prog_name='verbund')", "serve",
               "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
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


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="verbund-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    started = time.perf_counter()
    regions, networks = build(url)
    print(f"Datenbank aufgebaut: {len(networks)} Verbünde, {ORGANISATIONS} Organisationen, "
          f"{ORGANISATIONS * len(MESSAGES)} Nachrichten "
          f"({time.perf_counter() - started:.1f} s)", flush=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = serve(url, port, folder)
    base = f"http://127.0.0.1:{port}"
    pages: list[float] = []
    by_kind: dict[str, list[float]] = {"region": [], "land": [], "network": []}
    health: list[float] = []
    lock = threading.Lock()
    stop_at: list[float] = []  # set once, when the last client has signed in
    cpu_at_start: list[float] = []

    def start_window() -> None:
        cpu_at_start.append(cpu_seconds(server.pid))
        stop_at.append(time.monotonic() + DURATION)

    ready = threading.Barrier(CLIENTS, action=start_window)
    sn_regions = [r for r in regions if r.startswith("sn-")]

    def client_loop(number: int) -> None:
        rnd = random.Random(number)
        email = "land@bench.example" if number % 2 else "ministerium@bench.example"
        with httpx.Client(base_url=base, timeout=30) as client:
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
                    kind, path = "network", f"/verbund/{rnd.choice([n for n in networks if n.startswith('kv-sn-')])}"
                t0 = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - t0) * 1000
                assert response.status_code == 200, (path, response.status_code)
                check_page(kind, path, response.text)
                t1 = time.perf_counter()
                client.get("/healthz")
                with lock:
                    pages.append(elapsed)
                    by_kind[kind].append(elapsed)
                    health.append((time.perf_counter() - t1) * 1000)
                time.sleep(THINK)

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        server_cpu = cpu_seconds(server.pid) - cpu_at_start[0]
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(folder, ignore_errors=True)

    def pct(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]

    print(f"p50_ms={statistics.median(pages):.1f} p95_ms={pct(pages, 95):.1f} requests={len(pages)} "
          f"baseline_healthz_p50_ms={statistics.median(health):.1f} baseline_healthz_p95_ms={pct(health, 95):.1f} "
          f"networks={NETWORKS} organisations={ORGANISATIONS} clients={CLIENTS} "
          f"server_cpu_ms_per_page={1000 * server_cpu / len(pages):.1f} cpus={os.cpu_count()} "
          f"load_1m={os.getloadavg()[0]:.1f} " + " ".join(f"p95_{kind}_ms={pct(values, 95):.1f}"
                                                        for kind, values in by_kind.items() if values))


if __name__ == "__main__":
    main()
