"""The directory through the ``verbund partner`` / ``verbund contact`` commands (Typer's runner, in process):
partners with kinds from the template, Land-wide partners in several networks, contacts with dated
events naming only which fields changed, and all-or-nothing file imports whose bad rows name line
and column; every refusal leaves every table's row count unchanged."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from verbund.cli import main as cli_main
from verbund.domain.tables import AuditEvent, Contact, ContactEvent, Membership, Organisation
from verbund.services.app.bootstrap import App
from verbund.services.app.ports import RecordingTrigger
from verbund.services.directory.setup import create_network, upsert_region

runner = CliRunner()
PARTNER_MAPPING = """delimiter = ";"
[columns]
key = "Kennung"
name = "Name"
kind = "Art"
region = "Region"
land = "Land"
networks = "Verbünde"
ags = "AGS"
[kinds]
"Jugendamt" = "youth_welfare"
"Sozialamt" = "social_welfare"
"""
PARTNERS = """Kennung;Name;Art;Region;Land;Verbünde;AGS
lra-z-schulamt;Landkreis Zwickau, Schulverwaltungsamt;school_board;sn-zwickau;;kv-nord,kv-sued;14524330
lra-z-jugendamt;Landkreis Zwickau, Jugendamt;Jugendamt;sn-zwickau;;kv-nord;
ba-rd-sachsen;Regionaldirektion Sachsen der BA;employment_agency;;SN;kv-nord,kv-chemnitz;
"""
CONTACT_MAPPING = """[columns]
organisation = "Einrichtung"
name = "Name"
function = "Funktion"
email = "E-Mail"
channels = "Kanäle"
"""


@pytest.fixture
def world(app: App, monkeypatch: pytest.MonkeyPatch) -> App:
    with app.uow(write=True) as uow:
        zwickau = upsert_region(uow.session, "sn-zwickau", "LaSuB Zwickau", "SN")
        chemnitz = upsert_region(uow.session, "sn-chemnitz", "LaSuB Chemnitz", "SN")
        bochum = upsert_region(uow.session, "nw-bochum", "Bochum", "NW")
        uow.session.flush()
        for region, slug, template in ((zwickau, "kv-nord", "sachsen-inklusion"), (zwickau, "kv-sued",
                                       "sachsen-inklusion"), (chemnitz, "kv-chemnitz", "sachsen-inklusion"),
                                       (bochum, "rbn-bochum", "nrw-bildungsnetzwerk")):
            create_network(uow.session, region, slug, slug.upper(), template, app.now())
        uow.commit()
    monkeypatch.setattr(cli_main, "_app", lambda **_: app)
    return app


def run(*args: str) -> Any:
    return runner.invoke(cli_main.app, list(args))


def counts(app: App) -> dict[str, int]:
    with app.engine.connect() as connection:
        return {table.__name__: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (Organisation, Membership, Contact, ContactEvent)}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_partner_is_registered_listed_shown_edited_and_closed(world: App) -> None:
    added = run("partner", "add", "--name", "Landkreis Zwickau, Sozialamt", "--kind", "Träger der Sozialhilfe",
                "--region", "sn-zwickau", "--network", "kv-nord", "--network", "kv-sued", "--ags", "14524330",
                "--json")
    assert added.exit_code == 0, added.output
    key = json.loads(added.output)["key"]
    assert key == "landkreis-zwickau-sozialamt"
    listed = json.loads(run("partner", "list", "--region", "sn-zwickau", "--json").output)["partners"]
    assert [(p["key"], p["kind"], p["networks"]) for p in listed] == [(key, "social_welfare", ["kv-nord", "kv-sued"])]
    assert isinstance(world.trigger, RecordingTrigger)
    assert {(c[0], c[1]) for c in world.trigger.calls} >= {("kv-nord", "analysis"), ("kv-sued", "analysis")}

    edited = run("partner", "edit", key, "--address", "Robert-Müller-Str. 4, 08056 Zwickau",
                 "--leave-network", "kv-sued")
    shown = json.loads(run("partner", "show", key, "--json").output)
    assert edited.exit_code == 0 and "geändert" in edited.output
    assert shown["networks"] == ["kv-nord"] and shown["address"].startswith("Robert-Müller")

    with world.uow() as uow:
        audited = uow.session.exec(select(AuditEvent.action, AuditEvent.reason, AuditEvent.actor)
                                   .where(AuditEvent.entity == "partner")).all()
    assert sorted(tuple(row) for row in audited) == [  # the clock stands still here: compare as a set
        ("edited", f"{key}: address", "system"), ("registered", f"{key}: ags, kind, name, region", "system")]
    closed = run("partner", "close", key)
    assert closed.exit_code == 0
    assert json.loads(run("partner", "list", "--json").output)["partners"] == []
    assert json.loads(run("partner", "show", key, "--json").output)["networks"] == []


def test_an_unknown_partner_kind_is_refused_naming_the_field_and_nothing_is_stored(world: App) -> None:
    before = counts(world)
    result = run("partner", "add", "--name", "Feuerwehr", "--kind", "fire_brigade", "--region", "sn-zwickau",
                 "--network", "kv-nord")
    nrw = run("partner", "add", "--name", "Kita Sonnenschein", "--kind", "daycare", "--region", "nw-bochum",
              "--network", "rbn-bochum")
    assert result.exit_code == 1 and "Feld kind" in result.output and "fire_brigade" in result.output
    assert nrw.exit_code == 1 and "[partner_kinds]" in nrw.output  # the NRW template has no Kitas
    assert "Traceback" not in result.output + nrw.output
    assert counts(world) == before


def test_a_land_wide_partner_serves_networks_of_several_regions_but_not_of_another_land(world: App) -> None:
    added = run("partner", "add", "--name", "Regionaldirektion Sachsen", "--kind", "employment_agency",
                "--land", "SN", "--network", "kv-nord", "--network", "kv-chemnitz")
    other_land = run("partner", "edit", "regionaldirektion-sachsen", "--network", "rbn-bochum")
    shown = json.loads(run("partner", "show", "regionaldirektion-sachsen", "--json").output)
    assert added.exit_code == 0, added.output
    assert (shown["land"], shown["region"], shown["networks"]) == ("SN", None, ["kv-chemnitz", "kv-nord"])
    assert other_land.exit_code == 1 and "Feld network" in other_land.output


def test_the_partner_file_is_taken_whole_and_a_duplicate_row_stores_nothing(world: App, tmp_path: Path) -> None:
    mapping = write(tmp_path, "partner.toml", PARTNER_MAPPING)
    duplicate = write(tmp_path, "doppelt.csv", PARTNERS + "lra-z-jugendamt;Jugendamt (doppelt);Jugendamt;"
                                                          "sn-zwickau;;kv-sued;\n")
    before = counts(world)
    refused = run("partner", "import", str(duplicate), "--mapping", str(mapping), "--json")
    assert refused.exit_code == 1
    report = json.loads(refused.stdout)
    assert report["rejected"] == [{"where": "Zeile 5", "field": "Kennung",
                                   "reason": "Partner 'lra-z-jugendamt' steht schon in Zeile 3"}]
    assert report["stored"] is False and counts(world) == before

    good = write(tmp_path, "partner.csv", PARTNERS)
    first = json.loads(run("partner", "import", str(good), "--mapping", str(mapping), "--json").stdout)
    again = json.loads(run("partner", "import", str(good), "--mapping", str(mapping), "--json").stdout)
    assert (first["created"], first["stored"]) == (3, True)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    members = json.loads(run("partner", "list", "--network", "kv-nord", "--json").stdout)["partners"]
    assert sorted(p["kind"] for p in members) == ["employment_agency", "school_board", "youth_welfare"]


def test_a_bad_kind_in_an_xlsx_file_names_line_and_column(world: App, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [line.split(";") for line in PARTNERS.splitlines()] + [
            ["x", "Zoo Zwickau", "Zoo", "sn-zwickau", "", "kv-nord", ""]]:
        sheet.append(row)
    book.save(tmp_path / "partner.xlsx")
    mapping = write(tmp_path, "partner.toml", PARTNER_MAPPING)
    before = counts(world)
    result = run("partner", "import", str(tmp_path / "partner.xlsx"), "--mapping", str(mapping), "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and [(p["where"], p["field"]) for p in report["rejected"]] == [("Zeile 5", "Art")]
    assert "Zoo" in report["rejected"][0]["reason"] and counts(world) == before


def test_contacts_record_which_fields_changed_never_the_values(world: App, tmp_path: Path) -> None:
    run("partner", "add", "--name", "Jugendamt Zwickau", "--kind", "youth_welfare", "--region", "sn-zwickau",
        "--network", "kv-nord", "--key", "ja-zwickau")
    added = run("contact", "add", "--organisation", "ja-zwickau", "--name", "Petra Lange", "--email",
                "petra.lange@landkreis-zwickau.de", "--function", "Jugendhilfeplanung", "--channel",
                "json://hooks.example.org/verbund", "--by", "po@example.org", "--json")
    assert added.exit_code == 0, added.output
    contact = json.loads(added.stdout)["id"]
    edited = run("contact", "edit", contact[:8], "--email", "p.lange@landkreis-zwickau.de", "--function",
                 "Jugendhilfeplanung", "--by", "po@example.org")
    assert edited.exit_code == 0 and "Geändert: email" in edited.output
    shown = json.loads(run("contact", "show", "p.lange@landkreis-zwickau.de", "--json").stdout)
    assert [(e["action"], e["fields"], e["actor"]) for e in shown["events"]] == [
        ("created", ["channels", "email", "function", "name"], "po@example.org"),
        ("edited", ["email"], "po@example.org")]
    assert shown["channels"] == ["json://hooks.example.org"]
    stored = json.dumps([e["fields"] for e in shown["events"]])
    assert "petra.lange" not in stored and "hooks.example.org" not in stored

    before = counts(world)
    bad_scheme = run("contact", "add", "--organisation", "ja-zwickau", "--name", "Kai Roth", "--channel",
                     "fax://kai:geheim@fax.example.org")
    assert bad_scheme.exit_code == 1 and "Feld channels" in bad_scheme.output
    assert "geheim" not in bad_scheme.output and counts(world) == before

    assert run("contact", "deactivate", contact, "--by", "po@example.org").exit_code == 0
    before = counts(world)
    late_edit = run("contact", "edit", contact, "--name", "Petra Lange-Schmidt")
    assert late_edit.exit_code == 1 and "deaktiviert" in late_edit.output and counts(world) == before
    listed = json.loads(run("contact", "list", "--network", "kv-nord", "--json").stdout)["contacts"]
    assert listed == []


def test_the_contact_file_refuses_a_mailto_channel_and_then_stores_the_corrected_file(
        world: App, tmp_path: Path) -> None:
    run("partner", "add", "--name", "Schulverwaltungsamt", "--kind", "school_board", "--region", "sn-zwickau",
        "--network", "kv-nord", "--key", "sva-zwickau")
    mapping = write(tmp_path, "kontakte.toml", CONTACT_MAPPING)
    header = "Einrichtung;Name;Funktion;E-Mail;Kanäle\n"
    bad = write(tmp_path, "kontakte.csv", header + "sva-zwickau;Uwe Krause;Amtsleitung;u.krause@lk-z.de;\n"
                "sva-zwickau;Ina Wolf;Sachbearbeitung;i.wolf@lk-z.de;mailto://ina:pw@smtp.lk-z.de\n"
                "gibt-es-nicht;Max Ober;;m.ober@lk-z.de;\n")
    before = counts(world)
    result = run("contact", "import", str(bad), "--mapping", str(mapping), "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and counts(world) == before
    assert [(p["where"], p["field"]) for p in report["rejected"]] == [("Zeile 3", "Kanäle"), ("Zeile 4", "Einrichtung")]
    assert "pw@" not in result.output

    fixed = write(tmp_path, "kontakte.csv", header + "sva-zwickau;Uwe Krause;Amtsleitung;u.krause@lk-z.de;\n"
                  "sva-zwickau;Ina Wolf;Sachbearbeitung;i.wolf@lk-z.de;json://hooks.example.org/x\n")
    stored = json.loads(run("contact", "import", str(fixed), "--mapping", str(mapping), "--json").stdout)
    assert (stored["created"], stored["stored"]) == (2, True)
    assert counts(world)["Contact"] == before["Contact"] + 2


def test_the_sample_files_in_docs_examples_import_as_documented(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"
    with app.uow(write=True) as uow:
        zwickau = upsert_region(uow.session, "sn-zwickau", "LaSuB Zwickau", "SN")
        uow.session.flush()
        for slug in ("kv-zwickau-nord", "kv-zwickau-sued"):
            create_network(uow.session, zwickau, slug, slug, "sachsen-inklusion", app.now())
        uow.commit()
    monkeypatch.setattr(cli_main, "_app", lambda **_: app)
    partners = run("partner", "import", str(examples / "partner.csv"), "--mapping",
                   str(examples / "partner-zuordnung.toml"), "--json")
    contacts = run("contact", "import", str(examples / "kontakte.csv"), "--mapping",
                   str(examples / "kontakte-zuordnung.toml"), "--json")
    assert partners.exit_code == 0 and json.loads(partners.stdout)["created"] == 6, partners.output
    assert contacts.exit_code == 0 and json.loads(contacts.stdout)["created"] == 6, contacts.output


def test_activation_and_deactivation_are_dated_events_a_past_date_sees(world: App) -> None:
    import datetime as dt

    from verbund.services.app.clock import BERLIN
    from verbund.services.directory.contacts import active_contact_ids

    run("partner", "add", "--name", "Jugendamt", "--kind", "youth_welfare", "--region", "sn-zwickau", "--key", "ja")
    contact = json.loads(run("contact", "add", "--organisation", "ja", "--name", "Eva Sommer", "--email",
                             "eva@ja.example", "--at", "2019-09-01T09:00", "--json").stdout)["id"]
    assert run("contact", "deactivate", contact, "--at", "2019-11-01T09:00").exit_code == 0
    assert run("contact", "activate", contact, "--at", "2020-02-01T09:00").exit_code == 0
    with world.uow() as uow:
        def active(day: str) -> bool:
            at = dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=BERLIN)
            return uuid.UUID(contact) in active_contact_ids(uow.session, at)

        assert [active(d) for d in ("2019-08-31", "2019-10-01", "2019-12-01", "2020-03-01")] == [
            False, True, False, True]
