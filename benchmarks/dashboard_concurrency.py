"""Server CPU per page with concurrent clients and none (issue 20): is the CPU spent on pages or on
threads contending for the GIL?

Serves a copy of a benchmark database (``--database``, a SQLite file built by ``benchmarks/dashboard.py``'s
``build``; built afresh when omitted) with ``verbund serve`` in its own process, signs in a Land process
owner and the ministry, and sends the benchmark's page mix (30 % region overviews, 20 % Land overviews,
50 % network pages of Saxony, each followed by ``/healthz``; ``--pages`` of them, a fixed random
sequence) from ``--clients`` threads without think time. Prints the server's user and system CPU per
page (``/proc``) and the load.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx

_spec = importlib.util.spec_from_file_location("dashboard_bench", Path(__file__).with_name("dashboard.py"))
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def cpu(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a SQLite file built by benchmarks/dashboard.py (copied, not changed)")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--pages", type=int, default=580)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="verbund-concurrency-"))
    database = folder / "bench.db"
    if args.database:
        shutil.copy(args.database, database)
    else:
        bench.build(f"sqlite:///{database}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = bench.serve(f"sqlite:///{database}", port, folder, cache=True, workers=None)
    rnd = random.Random(1)
    regions = [f"sn-region-{i:02d}" for i in range(bench.LANDS["SN"])]
    networks = [f"kv-{region}-{n:02d}" for region in regions for n in range(20)]
    mix = []
    for number in range(args.pages):
        choice = rnd.random()
        if choice < 0.3:
            path = f"/uebersicht?region={rnd.choice(regions)}"
        elif choice < 0.5:
            path = f"/uebersicht?land=SN&seite={rnd.randint(1, 2)}"
        else:
            path = f"/verbund/{rnd.choice(networks)}"
        mix.append((number % 2, path))
    base = f"http://127.0.0.1:{port}"
    try:
        readers = []
        for email in ("ministerium@bench.example", "land@bench.example"):
            client = httpx.Client(base_url=base, timeout=120)
            bench.login(client, email)
            readers.append(client)
        readers[1].get(f"/uebersicht?region={regions[-1]}")  # stores the day's forecasts in the background
        time.sleep(3)
        load = os.getloadavg()[0]
        user, system = cpu(server.pid)

        def work(part: list[tuple[int, str]]) -> None:
            for reader, path in part:
                assert readers[reader].get(path).status_code == 200, path
                readers[reader].get("/healthz")

        threads = [threading.Thread(target=work, args=(mix[k::args.clients],)) for k in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        user_after, system_after = cpu(server.pid)
        pages = len(mix)
        spent_user, spent_system = (user_after - user) * 1000 / pages, (system_after - system) * 1000 / pages
        print(f"clients={args.clients} pages={pages} server_cpu_ms_per_page={spent_user + spent_system:.2f} "
              f"user_ms={spent_user:.2f} system_ms={spent_system:.2f} "
              f"load_1m_before={load:.1f} load_1m={os.getloadavg()[0]:.1f}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
