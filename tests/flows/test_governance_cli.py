"""``verbund agreement|step|decision`` through the CLI (typer's runner, in this process): the inputs
move the NRW stages through the real stage flows on the session's Prefect harness, with ``--at``
back-filling when it happened, ``--json`` output, and German errors that name what is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests_governance import NRW, START, day
from typer.testing import CliRunner

from verbund.flows.runtime import use_app
from verbund.flows.trigger import EmbeddedTrigger
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings
from verbund.services.demo.sample_templates import build_template_sample
from verbund.services.governance.votes import cast_vote, open_decision

runner = CliRunner()


@pytest.fixture
def cli(prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The ``verbund`` app on a fresh database: NRW sample, rbn-lindenau's Kooperationsvertrag open."""
    database_url = f"sqlite:///{tmp_path / 'verbund.db'}"
    trigger = EmbeddedTrigger()
    app = bootstrap(Settings(database_url=database_url), trigger=trigger)
    use_app(app)
    build_template_sample(app, "nrw-bildungsnetzwerk", at=START)
    # The first flow run of the process sets up Prefect's console logging: here, not inside the
    # runner, whose output stream is closed after each command.
    trigger(NRW, "kooperationsvertrag", day(0))
    assert trigger.failures == []
    app.engine.dispose()
    for key, value in {"VERBUND_DATABASE_URL": database_url, "VERBUND_EXECUTION": "embedded",
                       "VERBUND_NOW": "2019-12-02T09:00:00", "PREFECT_API_URL": prefect_api,
                       "COLUMNS": "200"}.items():
        monkeypatch.setenv(key, value)
    from verbund.cli.main import app as verbund

    yield verbund
    use_app(None)


def _ok(cli: Any, *args: str) -> Any:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def _fails(cli: Any, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 1, result.output
    return " ".join(result.output.split())


def _stages(cli: Any) -> dict[str, str]:
    network = next(n for n in _ok(cli, "status", "--json")["networks"] if n["slug"] == NRW)
    return {s["name"]: s["state"] for s in network["stages"]}


def test_agreement_step_and_votes_move_the_stages_through_their_flows(cli: Any) -> None:
    stored = _ok(cli, "agreement", "record", NRW, "--title", "Kooperationsvertrag", "--party", "obere Schulaufsicht",
                 "--party", "Schulverwaltungsamt", "--signed-on", "2019-09-03", "--field", "Inklusion",
                 "--field", "Ganztag", "--at", "2019-09-03T10:00", "--by", "bb@example.org", "--json")
    assert stored["parties"] == ["Bezirksregierung Musterberg, Regionalkoordination (obere Schulaufsicht) für "
                                 "Lindenau", "Kreis Lindenau, Schulverwaltungsamt"]
    assert (stored["signed_on"], stored["fields_of_action"]) == ("2019-09-03", ["Inklusion", "Ganztag"])
    assert _stages(cli)["kooperationsvertrag"] == "ready"  # the agreement ran the stage's flow; sign-off waits

    _ok(cli, "stage", "advance", NRW, "kooperationsvertrag", "--by", "po@example.org", "--at", "2019-09-04T09:00")
    assert _ok(cli, "step", "record", NRW, "lenkungskreis", "constituted", "--text", "Geschäftsordnung",
               "--at", "2019-09-05T09:00", "--json") == {"network": NRW, "stage": "lenkungskreis",
                                                         "step": "constituted", "cycle": 1}
    assert _stages(cli)["handlungsfelder"] == "open"

    opened = _ok(cli, "decision", "open", NRW, "handlungsfelder", "--title", "Handlungsfeld Ganztag",
                 "--responsibility", "Regionales Bildungsbüro", "--previous", "dem Schulträger",
                 "--at", "2019-09-06T09:00", "--json")
    assert (opened["status"], opened["kind"], opened["votes"]) == ("open", "field_of_action", {})
    _ok(cli, "decision", "vote", NRW, "Handlungsfeld Ganztag", "--member", "obere Schulaufsicht", "--vote", "consent",
        "--at", "2019-09-06T10:00")
    refused = _ok(cli, "decision", "vote", NRW, opened["id"][:8], "--member", "Schulverwaltungsamt", "--vote",
                  "objection", "--reason", "Finanzierung ungeklärt", "--at", "2019-09-06T11:00", "--json")
    assert (refused["status"], refused["adopted"], refused["responsibility"]) == ("not_agreed", False,
                                                                                  "dem Schulträger")
    assert refused["reason"] == ("nicht beschlossen: Einwand von Kreis Lindenau, Schulverwaltungsamt; "
                                 "Zuständigkeit bleibt bei dem Schulträger")
    shown = _ok(cli, "decision", "show", NRW, "Handlungsfeld Ganztag")
    assert "nicht beschlossen" in shown and "Finanzierung ungeklärt" in shown and "Einwand" in shown

    # Two more fields of action: every vote but the last through the service, the last through the CLI.
    from verbund.cli.main import _app

    app = _app()
    for number, title in enumerate(("Handlungsfeld Inklusion", "Handlungsfeld Übergänge")):
        open_decision(app, NRW, "handlungsfelder", title=title, by="bb@example.org", at=day(5))
        for member in ("obere Schulaufsicht", "untere Schulaufsicht", "Schulverwaltungsamt")[: 3 - number]:
            cast_vote(app, NRW, title, member=member, vote="consent", by="bb@example.org", at=day(5))
    cast_vote(app, NRW, "Handlungsfeld Inklusion", member="Jugendamt", vote="consent", by="bb@example.org", at=day(5))
    app.engine.dispose()
    assert _stages(cli)["handlungsfelder"] == "open"  # one decision still open
    _ok(cli, "decision", "vote", NRW, "Handlungsfeld Übergänge", "--member", "Schulverwaltungsamt", "--vote",
        "reservation", "--at", "2019-09-09T09:00")
    last = _ok(cli, "decision", "vote", NRW, "Handlungsfeld Übergänge", "--member", "Jugendamt", "--vote", "consent",
               "--at", "2019-09-09T10:00", "--json")
    assert last["status"] == "adopted" and "mit Vorbehalt von Kreis Lindenau, Schulverwaltungsamt" in last["reason"]
    stages = _stages(cli)
    assert (stages["handlungsfelder"], stages["arbeitsplan"]) == ("completed", "open")  # the vote ran the flow

    listed = _ok(cli, "decision", "list", NRW, "--json")["decisions"]
    assert [(d["title"], d["status"]) for d in listed] == [
        ("Handlungsfeld Ganztag", "not_agreed"), ("Handlungsfeld Inklusion", "adopted"),
        ("Handlungsfeld Übergänge", "adopted")]


def test_the_commands_name_what_is_wrong(cli: Any) -> None:
    assert "unbekanntes Mitglied 'Land NRW' in rbn-lindenau" in _fails(
        cli, "agreement", "record", NRW, "--title", "Kooperationsvertrag", "--party", "Land NRW")
    assert "--signed-on: '31.9.2019' ist kein gültiges Datum" in _fails(
        cli, "agreement", "record", NRW, "--title", "V", "--party", "Jugendamt", "--signed-on", "31.9.2019")
    assert "unbekannter Schritt 'held' (bekannt: constituted)" in _fails(
        cli, "step", "record", NRW, "lenkungskreis", "held")
    assert "die Stufe ist noch nicht eröffnet" in _fails(
        cli, "decision", "open", NRW, "handlungsfelder", "--title", "Ganztag")

    opened = _ok(cli, "decision", "open", NRW, "kooperationsvertrag", "--title", "Vertragsentwurf",
                 "--at", "2019-12-01T09:00", "--json")
    assert opened["kind"] == "decision"  # the stage expects no kind of decision
    assert "nicht stimmberechtigt (beratender Gast; es stimmt: Lenkungskreis)" in _fails(
        cli, "decision", "vote", NRW, "Vertragsentwurf", "--member", "Agentur für Arbeit", "--vote", "consent")
    assert "unbekannter Beschluss 'Haushalt' in rbn-lindenau" in _fails(
        cli, "decision", "vote", NRW, "Haushalt", "--member", "Jugendamt", "--vote", "consent")
    assert "unbekannte Stimme 'ja'" in _fails(
        cli, "decision", "vote", NRW, "Vertragsentwurf", "--member", "Jugendamt", "--vote", "ja")
    assert "'Kreis Lindenau' ist in rbn-lindenau mehrdeutig" in _fails(
        cli, "decision", "vote", NRW, "Vertragsentwurf", "--member", "Kreis Lindenau", "--vote", "consent")
    assert "unbekannter Beschluss 'x'" in _fails(cli, "decision", "show", NRW, "x")
    assert "Verbund 'rbn-nirgendwo' nicht gefunden" in _fails(cli, "decision", "list", "rbn-nirgendwo")
