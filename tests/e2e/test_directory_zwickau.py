"""A Zwickau network's directory built only through the ``verbund`` command from files the test
writes (subprocesses: no service calls, no SQL): the real school database, the network by a rule,
the partners and every member's contact from CSV files; then one reminder sweep sends each
member's stage-opened message through ``VERBUND_MAIL_URL`` to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import email.header
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from notify_sinks import SmtpSink

pytestmark = pytest.mark.slow

VERBUND = str(Path(sys.executable).with_name("verbund"))
SHARED_DATA = Path(os.environ.get("VERBUND_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
ZWICKAU = SHARED_DATA / "sachsen" / "schuldatenbank_api_2021-02_zwickau.json"
NETWORK = "kv-zwickau"
PARTNERS = """Kennung;Name;Art;Region;Land;Verbünde;Anschrift;AGS
lk-z-schulen;Landkreis Zwickau, Amt für Schulen;Schulträger;sn-zwickau;;kv-zwickau;Robert-Müller-Str. 4;14524330
lk-z-jugendamt;Landkreis Zwickau, Jugendamt;Jugendamt;sn-zwickau;;kv-zwickau;;14524330
lk-z-sozialamt;Landkreis Zwickau, Sozialamt;Sozialamt;sn-zwickau;;kv-zwickau;;14524330
lk-z-befoerderung;Landkreis Zwickau, Schülerbeförderung;student_transport;sn-zwickau;;kv-zwickau;;
kita-sonnenschein;Kita Sonnenschein Zwickau;daycare;sn-zwickau;;kv-zwickau;;
ba-rd-sachsen;Regionaldirektion Sachsen der Bundesagentur für Arbeit;employment_agency;;SN;kv-zwickau;;
"""
PARTNER_MAPPING = """delimiter = ";"
[columns]
key = "Kennung"
name = "Name"
kind = "Art"
region = "Region"
land = "Land"
networks = "Verbünde"
address = "Anschrift"
ags = "AGS"
[kinds]
"Schulträger" = "school_board"
"Jugendamt" = "youth_welfare"
"Sozialamt" = "social_welfare"
"""
CONTACT_MAPPING = """delimiter = ";"
[columns]
organisation = "Einrichtung"
name = "Name"
function = "Funktion"
email = "E-Mail"
"""


def _env(tmp_path: Path, mail_url: str, now: str = "2021-03-01T09:00") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VERBUND_"))}
    env.update(VERBUND_DATABASE_URL=f"sqlite:///{tmp_path / 'verbund.db'}", PREFECT_HOME=str(tmp_path / "ph"),
               VERBUND_NOW=now, VERBUND_MAIL_URL=mail_url, VERBUND_MAILBOX_DIR=str(tmp_path / "postfach"),
               COLUMNS="200")
    return env


def _json(env: dict[str, str], *args: str) -> Any:
    result = subprocess.run([VERBUND, *args], env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(result.stdout)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.skipif(not ZWICKAU.exists(), reason=f"real school data not found under {SHARED_DATA}")
def test_a_zwickau_network_s_directory_from_files_and_every_member_hears_through_the_mail_sender(
        tmp_path: Path) -> None:
    smtp = SmtpSink().start()
    try:
        env = _env(tmp_path, f"mailto://127.0.0.1:{smtp.port}?from=verbund@example.org&mode=insecure")
        _json(env, "import", "sachsen", str(ZWICKAU), "--json")
        rules = _write(tmp_path / "verbuende.toml", '[[networks]]\nslug = "kv-zwickau"\nname = "KV Zwickau"\n'
                                                     'region = "sn-zwickau"\nkreise = ["14524"]\n')
        assert _json(env, "assign", "rules", str(rules), "--json")["assigned"] > 50
        partners = _json(env, "partner", "import", str(_write(tmp_path / "partner.csv", PARTNERS)), "--mapping",
                         str(_write(tmp_path / "partner.toml", PARTNER_MAPPING)), "--json")
        members = _json(env, "partner", "list", "--network", NETWORK, "--json")["partners"]
        rows = [f"{m['key']};Ansprechperson {n};Leitung;person{n}@{m['key'].replace(':', '-')}.example"
                for n, m in enumerate(members)]
        contacts = _json(env, "contact", "import", str(_write(tmp_path / "kontakte.csv", "Einrichtung;Name;Funktion;"
                                                                  "E-Mail\n" + "\n".join(rows) + "\n")),
                         "--mapping", str(_write(tmp_path / "kontakte.toml", CONTACT_MAPPING)), "--json")
        later = _env(tmp_path, env["VERBUND_MAIL_URL"], now="2021-03-01T10:00")
        sweep = _json(later, "remind", "--json")
    finally:
        smtp.stop()

    template = _json(env, "templates", "show", "sachsen-inklusion", "--json")
    required = {kind for stage in template["stages"] for check in stage["checks"]
                for kind in check["params"].get("kinds", [])}
    assert (partners["created"], partners["rejected"]) == (6, [])
    assert (contacts["created"], contacts["rejected"]) == (len(members), [])
    assert required and required <= {m["kind"] for m in members}
    assert sweep["failed"] == 0 and sweep["unreachable_members"] == []

    opened = {str(m["To"]): str(email.header.make_header(email.header.decode_header(m["Subject"])))
              for m in smtp.messages}
    addresses = {row.rsplit(";", 1)[1] for row in rows}
    assert addresses <= set(opened), sorted(addresses - set(opened))[:5]
    assert all("Analyse" in opened[a] and "beginnt" in opened[a] for a in addresses), list(opened.values())[:3]
    status = next(n for n in _json(later, "status", "--json")["networks"] if n["slug"] == NETWORK)
    assert status["stages"][0]["state"] == "open" and status["unreachable_members"]["count"] == 0
    assert not (tmp_path / "postfach").exists() or not any((tmp_path / "postfach").iterdir())
