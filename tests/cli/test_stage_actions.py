"""``verbund goal|consultation|protocol`` take a Saxon network from potentials to a published,
signed-off protocol through the same use cases as the dashboard; ``--at`` back-fills, ``--json``
shows what is stored, and a refusal is a German message with exit code 1."""

from __future__ import annotations

from cli_world import NOW, Cli

from verbund.services.access.users import add_user
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import parse_instant
from verbund.services.app.settings import Settings
from verbund.services.inputs.work import PotentialInput, record_potentials

NET = "kv-auental-nord"
PASSWORD = "ein-langes-Passwort-42"


def _potentials_done(cli: Cli) -> None:
    """Analysis waived (back-filled) and three potentials recorded: the goals stage is open."""
    cli.ok("stage", "advance", NET, "analysis", "--at", NOW)
    cli.ok("stage", "waive", NET, "analysis", "--reason", "Analyse auf Papier", "--by", "Frau Beispiel",
           "--at", "2019-09-02T10:00")
    from verbund.cli.main import _app

    app, raised = _app(), _members(cli)[:1]
    record_potentials(app, NET, [PotentialInput(area, f"Potenzial {area}", raised_by=raised) for area in
                                 ("communication", "special_offers", "process_steering")], by="system",
                      at=parse_instant("2019-09-03T09:00"))
    assert cli.stages(NET)["goals"] == "open"


def test_goals_consultation_and_protocol_run_from_the_cli(cli: Cli) -> None:
    _potentials_done(cli)
    goal = cli.ok("goal", "add", NET, "--title", "Übergänge begleiten", "--potential", "Potenzial communication",
                  "--owner", "Schulträger", "--indicator", "Anteil begleiteter Übergänge", "--target-date",
                  "2020-07-31", "--by", "ko@example.org", "--at", "2019-09-04T09:00", "--json")
    assert goal["network"] == NET and goal["derived_from"] == ["Potenzial communication"]
    assert goal["target_date"] == "2020-07-31" and goal["owner"] == "Stadt Lindenau, Schulträger"
    assert cli.stages(NET)["goals"] == "completed" and cli.stages(NET)["consultation"] == "open"
    assert [g["title"] for g in cli.ok("goal", "list", NET, "--json")["goals"]] == ["Übergänge begleiten"]

    meeting = cli.ok("consultation", "schedule", NET, "--starts-at", "2019-10-01T15:00", "--place", "Rathaus",
                     "--at", "2019-09-05T09:00", "--json")
    assert (meeting["status"], meeting["place"]) == ("scheduled", "Rathaus")
    assert meeting["starts_at"] == "2019-10-01T13:00:00+00:00"
    sent = cli.ok("consultation", "invitations-sent", NET, "--at", "2019-09-05T10:00", "--json")
    assert sent["invitations_sent_at"] == "2019-09-05T08:00:00+00:00"
    members = _members(cli)
    present = [arg for oid in members for arg in ("--present", oid)]
    held = cli.ok("consultation", "hold", NET, *present, "--decision", "Geschäftsordnung beschlossen",
                  "--at", "2019-10-01T17:00", "--json")
    assert held["status"] == "held" and held["decisions"] == ["Geschäftsordnung beschlossen"]
    assert all(a["present"] for a in held["attendance"]) and len(held["attendance"]) == len(members)
    assert cli.stages(NET)["consultation"] == "completed" and cli.stages(NET)["protocol"] == "open"

    assert cli.ok("protocol", "draft", NET, "--text", "Protokoll der Beratung", "--at", "2019-10-02T09:00",
                  "--json")["status"] == "draft"
    circulated = cli.ok("protocol", "circulate", NET, "--days", "5", "--at", "2019-10-02T10:00", "--json")
    assert (circulated["status"], circulated["objection_deadline"]) == ("circulated", "2019-10-10")
    early = cli.fails("protocol", "approve", NET, "--at", "2019-10-08T09:00")
    assert "Einspruchsfrist läuft bis 10.10.2019" in early
    approved = cli.ok("protocol", "approve", NET, "--by", "ko@example.org", "--at", "2019-10-11T09:00", "--json")
    assert approved["status"] == "approved" and len(approved["content_hash"]) == 64
    cli.ok("protocol", "publish", NET, "--at", "2019-10-11T10:00")
    recommended = cli.ok("protocol", "recommend", NET, "--title", "Fortbildung planen", "--title",
                         "Elternabend", "--due", "2020-03-31", "--at", "2019-10-11T11:00", "--json")
    assert recommended["added"] == 2 and {r["due"] for r in recommended["recommendations"]} == {"2020-03-31"}
    assert cli.stages(NET)["protocol"] == "ready"  # the sign-off waits for a process owner


def _members(cli: Cli) -> list[str]:
    from verbund.cli.main import _app
    from verbund.services.readmodels.network_page import network_page

    return [m["organisation_id"] for m in network_page(_app(), NET)["members"]]


def test_sign_off_and_waive_need_a_process_owner_who_is_a_user(cli: Cli) -> None:
    cli.ok("stage", "advance", NET, "analysis")
    refused = cli.fails("stage", "waive", NET, "analysis", "--reason", "auf Papier", "--by", "po@example.org")
    assert "--by: 'po@example.org' ist kein aktiver Benutzer" in refused
    assert "--by" in cli.fails("stage", "waive", NET, "analysis", "--reason", "x", "--by", "system")
    app = bootstrap(Settings())
    add_user(app, email="ko@example.org", role="coordinator", password=PASSWORD, network=NET)
    add_user(app, email="po-west@example.org", role="process_owner", password=PASSWORD, region="sn-muldenland")
    add_user(app, email="po-nrw@example.org", role="process_owner", password=PASSWORD, region="NW")
    app.engine.dispose()
    assert "nicht als Prozessverantwortliche berechtigt" in cli.fails(
        "stage", "waive", NET, "analysis", "--reason", "x", "--by", "ko@example.org")
    assert "nicht als Prozessverantwortliche berechtigt" in cli.fails(
        "stage", "waive", NET, "analysis", "--reason", "x", "--by", "po-nrw@example.org")
    assert cli.stages(NET)["analysis"] == "open"  # nothing was stored by the refusals
    waived = cli.ok("stage", "waive", NET, "analysis", "--reason", "auf Papier", "--by", "PO-West@example.org",
                    "--json")
    assert waived["state"] == "waived"
    shown = cli.ok("stage", "show", NET, "analysis", "--json")
    assert shown["events"][-1]["actor"] == "po-west@example.org"


def test_refusals_name_the_field_and_store_nothing(cli: Cli) -> None:
    _potentials_done(cli)
    unknown = cli.fails("goal", "add", NET, "--title", "Ziel", "--potential", "gibt es nicht")
    assert "unbekannte Potenziale gibt es nicht" in unknown
    assert "--target-date: '31.06.2020' ist kein gültiges Datum" in cli.fails(
        "goal", "add", NET, "--title", "Ziel", "--potential", "Potenzial communication", "--target-date", "31.06.2020")
    assert "--owner: unbekanntes Mitglied 'Stadtwerke'" in cli.fails(
        "goal", "add", NET, "--title", "Ziel", "--potential", "Potenzial communication", "--owner", "Stadtwerke")
    assert cli.ok("goal", "list", NET, "--json")["goals"] == []
    assert "noch nicht eröffnet" in cli.fails("consultation", "schedule", NET, "--starts-at", "2019-10-01T15:00",
                                              "--place", "Rathaus")  # input follows the stage (issue 15)
    cli.ok("stage", "waive", NET, "goals", "--reason", "Ziele aus dem Vorjahr", "--by", "Frau Beispiel",
           "--at", "2019-09-04T09:00")
    assert cli.stages(NET)["consultation"] == "open"
    assert "keine Beratung angesetzt" in cli.fails("consultation", "invitations-sent", NET)
    assert "keine Beratung angesetzt" in cli.fails("consultation", "hold", NET)
    assert "liegt nicht in der Zukunft" in cli.fails("consultation", "schedule", NET, "--starts-at",
                                                     "2019-09-01T10:00", "--place", "Rathaus")
    assert "--starts-at" in cli.fails("consultation", "schedule", NET, "--starts-at", "morgen", "--place", "R")
    assert "Protokoll: die Stufe ist noch nicht eröffnet" in cli.fails("protocol", "circulate", NET)
    assert "genau eines von --text oder --file" in cli.fails("protocol", "draft", NET)
    assert "--reason" in cli.fails("consultation", "cancel", NET, code=2)  # missing option: usage error
    cli.ok("consultation", "schedule", NET, "--starts-at", "2019-10-01T15:00", "--place", "Rathaus")
    cancelled = cli.ok("consultation", "cancel", NET, "--reason", "Raum fehlt", "--json")
    assert cancelled["status"] == "cancelled"
    assert "die Beratung ist abgesagt" in cli.fails("consultation", "hold", NET)
