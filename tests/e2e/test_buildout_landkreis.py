"""One Landkreis's whole build-out, as a LaSuB-Standort would run it: only the ``verbund`` command
(in this process, typer's runner; ``verbund serve`` as a subprocess) and partners clicking the
signed links of the messages in their local mailboxes over real HTTP. No service call, no SQL.

The real Zwickau excerpt is imported and its coordinates joined; the Vogtlandkreis gets two
networks — one by a rules file, one by ``network create`` (the rules give it the rest of the Kreis)
— and the Landkreis Zwickau one by rule, so that every school of the region is assigned. The
directory is built with ``partner add`` and ``contact import``. Both Vogtland networks then run
through all five stages: partners give their analysis and potentials through their links, the
coordinator enters goals, the consultation and the protocol (one partner objects through the link),
the process owner signs off, extends one deadline; one announcement goes out; the report follows.

Time moves by ``VERBUND_NOW`` per command (and ``--at`` where an event happened earlier): the
dashboard is started again with the world's time whenever partners act after a jump, so that every
record is in the order it happened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from support_cli import clean_env
from typer.testing import CliRunner

SHARED = Path(os.environ.get("VERBUND_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
API = SHARED / "sachsen" / "schuldatenbank_api_2021-02_zwickau.json"
COORDINATES = SHARED / "sachsen" / "schulen_2017_datenschule.csv"
VERBUND = str(Path(sys.executable).with_name("verbund"))
BERLIN = ZoneInfo("Europe/Berlin")
BOUND = 600.0  # seconds: CI is a busy 2-core machine
PASSWORD = "ein-langes-Passwort-42"
PO = "po@lasub-zwickau.example"
NORD, SUED, ZWICKAU = "kv-vogtland-nord", "kv-vogtland-sued", "kv-landkreis-zwickau"
VOGTLAND = (NORD, SUED)
CATEGORIES = ("conditions", "actors", "responsibilities", "cooperation_structures")
AREAS = ("communication", "special_offers", "process_steering")
RULES = """
[[networks]]
slug = "kv-vogtland-nord"
name = "Kooperationsverbund Vogtland-Nord"
region = "sn-zwickau"
communities = ["14523320", "14523300"]  # Plauen, Oelsnitz/Vogtl.

[[networks]]
slug = "kv-vogtland-sued"
name = "Kooperationsverbund Vogtland-Süd"
region = "sn-zwickau"
kreise = ["14523"]  # the rest of the Vogtlandkreis (the municipality list wins)

[[networks]]
slug = "kv-landkreis-zwickau"
name = "Kooperationsverbund Landkreis Zwickau"
region = "sn-zwickau"
kreise = ["14524"]
"""
COORDINATE_MAPPING = 'delimiter = ","\n[columns]\nkey = "official_id"\nlatitude = "lat"\nlongitude = "lon"\n'
CONTACT_MAPPING = ('delimiter = ";"\n[columns]\norganisation = "Einrichtung"\nname = "Name"\nfunction = "Funktion"\n'
                   'email = "E-Mail"\n')
# The Vogtlandkreis's offices serve both of its networks; each network has a Kita; one Land-wide partner.
PARTNERS = (
    ("vogtland-schulen", "Landratsamt Vogtlandkreis, Amt für Schulen", "school_board", VOGTLAND),
    ("vogtland-jugendamt", "Landratsamt Vogtlandkreis, Jugendamt", "youth_welfare", VOGTLAND),
    ("vogtland-sozialamt", "Landratsamt Vogtlandkreis, Sozialamt", "social_welfare", VOGTLAND),
    ("vogtland-befoerderung", "Landratsamt Vogtlandkreis, Schülerbeförderung", "student_transport", VOGTLAND),
    ("kita-plauen", "Kita Regenbogen Plauen", "daycare", (NORD,)),
    ("kita-auerbach", "Kita Sonnenschein Auerbach", "daycare", (SUED,)),
)
REQUIRED = ("vogtland-schulen", "vogtland-jugendamt", "vogtland-sozialamt", "vogtland-befoerderung")
LINK = re.compile(r"https?://[^\s\"'<>]+/eingabe/(?P<network>[a-z0-9-]+)/(?P<stage>[a-z]+)\?t=[^\s\"'<>]+")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not (API.exists() and COORDINATES.exists()),
    reason=f"{API.name} oder {COORDINATES.name} fehlt unter {SHARED / 'sachsen'} (VERBUND_SHARED_DATA setzen)")]


def at(day: str, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), BERLIN)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    """The ``verbund`` command on one database, with one clock that moves forward only."""

    folder: Path
    env: dict[str, str]
    now: dt.datetime
    port: int
    runner: CliRunner = field(default_factory=CliRunner)

    def invoke(self, args: tuple[str, ...], stdin: str | None = None) -> Any:
        self.now += dt.timedelta(minutes=1)
        from verbund.cli.main import app

        saved = dict(os.environ)
        os.environ.update(self.env, VERBUND_NOW=self.now.isoformat())
        try:
            return self.runner.invoke(app, list(args), input=stdin)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def ok(self, *args: str, stdin: str | None = None) -> Any:
        result = self.invoke(args, stdin)
        assert result.exit_code == 0, f"verbund {' '.join(args)}:\n{result.output[-4000:]}"
        return json.loads(result.stdout) if "--json" in args else result.stdout

    def jump(self, when: dt.datetime) -> None:
        assert when >= self.now, f"die Zeit läuft nur vorwärts: {when} < {self.now}"
        self.now = when

    def write(self, name: str, text: str) -> str:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    @contextlib.contextmanager
    def dashboard(self) -> Iterator[httpx.Client]:
        """``verbund serve`` with the world's time; afterwards the world's clock is past everything
        the dashboard recorded."""
        env = {**self.env, "VERBUND_NOW": self.now.isoformat()}
        log_path = self.folder / f"serve-{self.now:%Y%m%d%H%M}.log"
        started = time.monotonic()
        with log_path.open("wb") as log:
            serve = subprocess.Popen([VERBUND, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--no-sweep"], env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=BOUND, trust_env=False) as client:
                    _wait_healthy(client, serve, log_path)
                    yield client
            finally:
                serve.terminate()
                try:
                    serve.wait(timeout=BOUND)
                except subprocess.TimeoutExpired:
                    serve.kill()
                    serve.wait(timeout=BOUND)
        self.now += dt.timedelta(seconds=time.monotonic() - started + 60)

    # --- what a partner finds in the mailbox and does with the link -----------------------------

    def mailbox(self, email: str) -> list[dict[str, Any]]:
        folder = Path(self.env["VERBUND_MAILBOX_DIR"]) / email.split("@")[0]
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]

    def link(self, email: str, network: str, stage: str) -> str:
        found = [m.group(0) for message in self.mailbox(email) for m in LINK.finditer(message["body"])
                 if m.group("network") == network and m.group("stage") == stage]
        assert found, f"kein Link {network}/{stage} im Postfach von {email}"
        return found[-1]


def _wait_healthy(client: httpx.Client, serve: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        assert serve.poll() is None, log.read_text(encoding="utf-8", errors="replace")[-4000:]
        with contextlib.suppress(httpx.HTTPError):
            if client.get("/healthz", timeout=5).status_code == 200:
                return
        time.sleep(0.25)
    raise AssertionError(f"Dashboard nicht innerhalb von {BOUND} s erreichbar: {log.read_text()[-2000:]}")


def submit(client: httpx.Client, link: str, **data: str) -> str:
    """Open the link (GET), then send the page's form (POST) as a browser would; the notice."""
    page = client.get(link)
    assert page.status_code == 200, page.text[:2000]
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    url = httpx.URL(link)
    answer = client.post(url.path, data={"t": url.params["t"], "csrf": csrf, **data})
    assert answer.status_code == 303, answer.text[:2000]
    location = answer.headers["location"]
    assert "fehler=" not in location, httpx.URL(location).params.get("fehler")
    return location


@pytest.fixture
def world(prefect_api: str, tmp_path: Path) -> World:
    from prefect.logging.configuration import ensure_logging_setup

    ensure_logging_setup()  # Prefect's console handler on the test's stderr, not on a runner's closed stream
    port = free_port()
    env = clean_env(VERBUND_DATABASE_URL=f"sqlite:///{tmp_path / 'verbund.db'}", VERBUND_EXECUTION="embedded",
                    PREFECT_API_URL=prefect_api, PREFECT_HOME=str(tmp_path / "prefect"),
                    PREFECT_LOGGING_TO_API_ENABLED="false", VERBUND_MAIL_URL="local://",
                    VERBUND_MAILBOX_DIR=str(tmp_path / "postfach"), VERBUND_PUBLIC_URL=f"http://127.0.0.1:{port}",
                    COLUMNS="200")
    return World(tmp_path, env, at("2021-03-01", 8), port)


def _members(world: World, network: str) -> dict[str, dict[str, Any]]:
    return {m["key"]: m for m in world.ok("partner", "list", "--network", network, "--json")["partners"]}


def test_a_landkreis_runs_through_all_five_stages_from_the_cli_and_the_partners_links(world: World) -> None:
    # --- the region: schools, coordinates, networks, every school assigned ----------------------
    imported = world.ok("import", "sachsen", str(API), "--json")
    assert imported["created"] > 250 and imported["rejected"] == []
    joined = world.ok("import", "coordinates", str(COORDINATES), "--mapping",
                      world.write("koordinaten.toml", COORDINATE_MAPPING), "--json")
    assert joined["updated"] > 200
    world.ok("network", "create", SUED, "--name", "Kooperationsverbund Vogtland-Süd", "--region", "sn-zwickau",
             "--by", PO)
    assigned = world.ok("assign", "rules", world.write("verbuende.toml", RULES), "--json")
    assert assigned["conflicts"] == [] and assigned["unmatched"] == 0
    region = next(r for r in world.ok("coverage", "--json")["regions"] if r["slug"] == "sn-zwickau")
    assert region["unassigned"] == 0 and region["assigned"] == region["schools_in_scope"] == assigned["assigned"]
    created = {n["slug"]: n for n in world.ok("network", "list", "--region", "sn-zwickau", "--json")["networks"]}
    assert set(created) == {NORD, SUED, ZWICKAU} and all(created[n]["schools"] > 10 for n in VOGTLAND)
    foci = {n["slug"]: n for n in world.ok("foci", "--json")["networks"]}
    assert any(f["max_distance_km"] for f in foci[NORD]["foci"] + foci[SUED]["foci"])

    # --- people: a process owner, one coordinator per network, the partners, one contact each ---
    world.ok("user", "add", "--email", PO, "--role", "process_owner", "--region", "sn-zwickau", "--password-stdin",
             stdin=PASSWORD + "\n")
    for network in VOGTLAND:
        world.ok("user", "add", "--email", f"koordination@{network}.example", "--role", "coordinator",
                 "--network", network, "--password-stdin", stdin=PASSWORD + "\n")
    for key, name, kind, networks in PARTNERS:
        world.ok("partner", "add", "--key", key, "--name", name, "--kind", kind, "--region", "sn-zwickau",
                 *[arg for n in networks for arg in ("--network", n)], "--json")
    world.ok("partner", "add", "--key", "ba-rd-sachsen", "--name", "Regionaldirektion Sachsen der BA",
             "--kind", "employment_agency", "--land", "SN", "--network", NORD, "--network", SUED)
    members = {network: _members(world, network) for network in VOGTLAND}
    organisations = {key: row for rows in members.values() for key, row in rows.items()}
    email = {key: f"k{index:03d}@partner.example" for index, key in enumerate(sorted(organisations))}
    rows = "\n".join(f"{key};Ansprechperson {index};Leitung;{email[key]}" for index, key in enumerate(sorted(email)))
    contacts = world.ok("contact", "import", world.write("kontakte.csv", f"Einrichtung;Name;Funktion;E-Mail\n{rows}\n"),
                        "--mapping", world.write("kontakte.toml", CONTACT_MAPPING), "--json")
    assert (contacts["created"], contacts["rejected"]) == (len(organisations), [])

    # --- analysis: one extension, one announcement, the partners' links ------------------------
    before = world.ok("stage", "show", SUED, "analysis", "--json")
    assert before["state"] == "open"
    until = (dt.date.fromisoformat(before["due"]) + dt.timedelta(days=14)).isoformat()
    extended = world.ok("stage", "extend", SUED, "analysis", "--until", until, "--reason",
                        "Schulen des Südens melden nach der Schulkonferenz", "--by", PO, "--json")
    assert (extended["previous_due"], extended["due"]) == (before["due"], until)
    announced = world.ok("announce", NORD, "--title", "Auftakt des Kooperationsverbunds", "--text",
                         "Herzlich willkommen! Bitte geben Sie Ihre Analyse über den Link ein.", "--json")
    assert announced["planned"] == len(members[NORD])
    world.jump(at("2021-03-01", 9))
    sweep = world.ok("remind", "--json")
    assert sweep["failed"] == 0 and sweep["sent"] >= len(organisations)

    world.jump(at("2021-03-01", 10))
    with world.dashboard() as client:
        for index, (key, address) in enumerate(sorted(email.items())):
            for network in VOGTLAND:
                if key not in members[network]:
                    continue
                answers = {f"text-{c}": f"{organisations[key]['name']}: Angaben zu {c}" for c in CATEGORIES}
                if index % 10 == 0:  # some say "keine Angaben" for one category, with the reason
                    answers.update({"text-actors": "", "none-actors": "1", "reason-actors": "noch keine Partner"})
                assert "meldung=" in submit(client, world.link(address, network, "analysis"), was="analyse",
                                            **answers)
    for network in VOGTLAND:
        assert world.ok("stage", "show", network, "analysis", "--json")["state"] == "ready"
        world.ok("stage", "advance", network, "analysis", "--by", PO)

    # --- potentials: three partners per network through their links ----------------------------
    world.jump(at("2021-03-02", 9))
    assert world.ok("remind", "--json")["failed"] == 0
    raisers = dict(zip(AREAS, ("vogtland-schulen", "vogtland-jugendamt", "ba-rd-sachsen"), strict=True))
    world.jump(at("2021-03-02", 10))
    with world.dashboard() as client:
        for network in VOGTLAND:
            for area, key in raisers.items():
                submit(client, world.link(email[key], network, "potentials"), was="potenzial", area=area,
                       title=f"{area} · {network}", description=f"eingebracht von {organisations[key]['name']}")
    assert all(world.ok("stage", "show", n, "potentials", "--json")["state"] == "completed" for n in VOGTLAND)

    # --- goals and the consultation (coordinator) ----------------------------------------------
    for network in VOGTLAND:
        world.ok("goal", "add", network, "--title", "Übergänge Kita–Grundschule begleiten", "--potential",
                 f"communication · {network}", "--owner", organisations["vogtland-schulen"]["name"],
                 "--indicator", "Anteil begleiteter Übergänge", "--target-date", "2022-07-31",
                 "--by", f"koordination@{network}.example")
        world.ok("consultation", "schedule", network, "--starts-at", "2021-03-22T15:00", "--place",
                 "Landratsamt Plauen, Saal 1", "--by", f"koordination@{network}.example")
    world.jump(at("2021-03-03", 9))
    assert world.ok("remind", "--json")["failed"] == 0
    for network in VOGTLAND:
        world.ok("consultation", "invitations-sent", network, "--by", f"koordination@{network}.example")
    world.jump(at("2021-03-22", 17))
    for network in VOGTLAND:
        present = [arg for key in (*REQUIRED, "ba-rd-sachsen") for arg in ("--present", key)]
        held = world.ok("consultation", "hold", network, *present, "--decision", "Geschäftsordnung beschlossen",
                        "--at", "2021-03-22T17:00", "--by", f"koordination@{network}.example", "--json")
        assert held["status"] == "held"
        world.ok("protocol", "draft", network, "--text", f"Protokoll der konstituierenden Beratung ({network})")
        world.ok("protocol", "circulate", network, "--days", "10")

    # --- the protocol: circulated, one objection through the link, resolved, approved, published -
    world.jump(at("2021-03-23", 9))
    assert world.ok("remind", "--json")["failed"] == 0
    world.jump(at("2021-03-23", 10))
    with world.dashboard() as client:
        submit(client, world.link(email["vogtland-jugendamt"], NORD, "protocol"), was="einspruch",
               text="Die Zuständigkeit des Jugendamts fehlt in Abschnitt 2.")
    resolved = world.ok("protocol", "resolve", NORD, "--resolution", "Abschnitt 2 ergänzt", "--json")
    assert resolved["resolved"] == 1
    world.jump(at("2021-04-12", 9))  # after the objection deadline and the Osterferien
    for network in VOGTLAND:
        world.ok("protocol", "approve", network, "--by", PO)
        world.ok("protocol", "publish", network, "--by", f"koordination@{network}.example")
        world.ok("protocol", "recommend", network, "--title", "Fortbildung Inklusion planen", "--due", "2021-12-31")
    world.jump(at("2021-04-12", 11))
    assert world.ok("remind", "--json")["failed"] == 0
    for network in VOGTLAND:
        world.ok("stage", "advance", network, "protocol", "--by", PO)

    # --- what came out ----------------------------------------------------------------------------
    world.jump(at("2021-04-13", 9))
    status = {n["slug"]: n for n in world.ok("status", "--json")["networks"]}
    for network in VOGTLAND:
        assert [s["state"] for s in status[network]["stages"]] == ["completed"] * 5, status[network]
    region = next(r for r in world.ok("coverage", "--json")["regions"] if r["slug"] == "sn-zwickau")
    assert region["unassigned"] == 0 and region["assigned"] == region["schools_in_scope"]

    listed = world.ok("contact", "list", "--json")["contacts"]
    contacts_of = {c["name"]: c["organisation"] for c in listed}  # the outbox names the contact
    assert len(contacts_of) == len(listed) == len(organisations)
    for network in VOGTLAND:
        sent: dict[str, set[str]] = {}
        for message in world.ok("outbox", "--network", network, "--status", "sent", "--json")["messages"]:
            sent.setdefault(contacts_of.get(message["contact"], message["contact"]), set()).add(message["kind"])
        expected = {"stage_opened", "invitation", "protocol_circulated", "protocol_published"}
        expected |= {"announcement"} if network == NORD else set()
        missing = {key: sorted(expected - sent.get(key, set())) for key in members[network]
                   if not expected <= sent.get(key, set())}
        assert not missing, f"{network}: Nachrichten fehlen für {missing}"
        assert world.ok("outbox", "--network", network, "--status", "failed", "--json")["messages"] == []

    report = world.folder / "bericht.md"
    world.ok("report", "--as-of", "2021-04-13", "--region", "sn-zwickau", "--format", "md", "-o", str(report))
    lines = report.read_text(encoding="utf-8").splitlines()
    assert any(SUED in line and "Frist verlängert" in line for line in lines)  # the extended analysis
    assert any(NORD in line for line in lines) and not any(NORD in line and "Frist verlängert" in line
                                                           for line in lines)
