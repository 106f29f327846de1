"""The forecast service on a real database: as of a past date it equals a copy taken then,
the JSON is byte-identical for the same seed, and bad input is refused in German."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import select

from verbund.domain.errors import InvalidInput, NotFound
from verbund.domain.models import Network
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.ports import RecordingTrigger
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region
from verbund.services.forecast.run import run_forecast, to_json
from verbund.services.stages.deadlines import extend_deadline
from verbund.services.stages.lifecycle import reconcile_stage, waive_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
OWNER = "po@example.org"


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=BERLIN)


def _waive(app: App, clock: ManualClock, network: str, stage: str, day: str) -> None:
    clock.set(at(day))
    waive_stage(app, network, stage, reason="Vorarbeiten anerkannt", by=OWNER, at=at(day))
    following = {"analysis": "potentials", "potentials": "goals", "goals": "consultation",
                 "consultation": "protocol"}.get(stage)
    if following:
        reconcile_stage(app, network, following, at(day, 11))


@pytest.fixture
def region(app: App, clock: ManualClock) -> list[str]:
    networks = build_sample_region(app, at=START).networks
    for network in networks:
        reconcile_stage(app, network, "analysis", START)
    _waive(app, clock, networks[0], "analysis", "2019-09-20")
    _waive(app, clock, networks[1], "analysis", "2019-10-08")
    _waive(app, clock, networks[0], "potentials", "2019-10-14")
    return networks


def _copy(app: App, target: Path) -> str:
    source = app.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    return f"sqlite:///{target}"


def test_a_forecast_as_of_a_past_day_equals_one_on_a_copy_of_the_database_taken_then(
        app: App, region: list[str], clock: ManualClock, tmp_path: Path) -> None:
    day = dt.date(2019, 10, 15)
    clock.set(at("2019-10-15", 20))
    copy_url = _copy(app, tmp_path / "copy.db")
    # later history: more waivers, a stage of a network that was still at its first one
    _waive(app, clock, region[2], "analysis", "2019-11-04")
    _waive(app, clock, region[0], "goals", "2019-11-05")
    _waive(app, clock, region[1], "potentials", "2019-11-06")
    clock.set(at("2019-11-07"))  # a deadline extension after D: the plan as of D keeps the due date of then
    extend_deadline(app, region[3], "analysis", until=dt.date(2020, 3, 31), reason="Schulträger neu",
                    by=OWNER, at=at("2019-11-07"))
    copy = bootstrap(Settings(database_url=copy_url), clock=ManualClock(at("2019-10-15", 20)),
                     trigger=RecordingTrigger())
    try:
        then = to_json(run_forecast(copy, seed=5, draws=500))
    finally:
        copy.engine.dispose()
    now = to_json(run_forecast(app, as_of=day, seed=5, draws=500))
    assert now == then
    assert to_json(run_forecast(app, as_of=dt.date(2019, 11, 6), seed=5, draws=500)) != then


def test_the_same_database_date_and_seed_give_byte_identical_json(app: App, region: list[str]) -> None:
    first = to_json(run_forecast(app, as_of=dt.date(2019, 10, 20), seed=11, draws=300))
    assert to_json(run_forecast(app, as_of=dt.date(2019, 10, 20), seed=11, draws=300)) == first
    data = run_forecast(app, as_of=dt.date(2019, 10, 20), seed=11, draws=300)
    assert data["networks"][0]["target"] == "2021-09-30"  # the Saxon template's report date
    by_slug = {n["slug"]: n for n in data["networks"]}
    assert by_slug[region[0]]["stages"][0]["state"] == "waived"
    assert by_slug[region[3]]["stages"][0]["state"] == "open"
    assert by_slug[region[3]]["stages"][0]["spent"] > 0


def test_a_networks_region_filter_and_target_stage(app: App, region: list[str]) -> None:
    data = run_forecast(app, as_of=dt.date(2019, 10, 20), region="sn-muldenland", target_stage="analysis",
                        target=dt.date(2019, 10, 31), draws=200)
    assert [n["slug"] for n in data["networks"]] == sorted(region)
    done = {n["slug"]: n for n in data["networks"]}
    assert done[region[0]]["done"] and done[region[0]]["p_done_by_target"] == 1.0


def test_bad_input_is_refused_naming_the_field(app: App, region: list[str]) -> None:
    with pytest.raises(NotFound, match="nirgendwo"):
        run_forecast(app, region="nirgendwo")
    with pytest.raises(InvalidInput, match="--target-stage"):
        run_forecast(app, target_stage="lenkungskreis")
    with pytest.raises(InvalidInput, match="--draws"):
        run_forecast(app, draws=0)


def test_the_command_prints_a_german_table_json_for_programs_and_refuses_bad_dates(
        app: App, region: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from verbund.cli.main import app as cli

    monkeypatch.setenv("VERBUND_DATABASE_URL", app.settings.database_url)
    runner = CliRunner()
    args = ["forecast", "--as-of", "2019-10-20", "--seed", "3", "--draws", "200"]
    first = runner.invoke(cli, [*args, "--json"])
    assert first.exit_code == 0, first.output
    assert runner.invoke(cli, [*args, "--json"]).stdout == first.stdout
    assert to_json(run_forecast(app, as_of=dt.date(2019, 10, 20), seed=3, draws=200)) == first.stdout
    table = runner.invoke(cli, args)
    assert table.exit_code == 0 and "Prognose zum Stichtag 20.10.2019" in table.stdout
    assert "30.09.2021" in table.stdout and "im Plan" in table.stdout
    bad = runner.invoke(cli, ["forecast", "--as-of", "32.10.2019"])
    assert bad.exit_code == 1 and "--as-of: '32.10.2019' ist kein gültiges Datum" in bad.output


def test_the_report_has_a_section_prognose_zum_zieldatum_in_every_format(app: App, region: list[str]) -> None:
    from verbund.services.report import build_report, render

    report = build_report(app, dt.date(2021, 9, 1))  # the last network's analysis has run two years
    text = render(report, "md").decode()
    assert "## Prognose zum 30.09.2021: Verbünde nach Region und Risiko" in text
    assert "| sn-muldenland |" in text.split("Verbünde nach Region und Risiko")[1]
    at_risk = text.split("## Prognose zum 30.09.2021: Verbünde mit Risiko")[1].split("##")[0]
    with app.uow() as uow:
        names = {n.slug: n.name for n in uow.session.exec(select(Network))}
    assert f"| {names[region[3]]} | sn-muldenland | stockt |" in at_risk
    assert "## Prognose zum 30.09.2021: Methode" in text and "2.000-mal" in text
    for fmt in ("html", "pdf", "xlsx", "csv"):
        assert render(report, fmt)
    assert "Prognose zum 30.09.2021" in render(report, "html").decode()
