"""Every deployment's entrypoint loads the flow it names, and every template stage has one."""

from __future__ import annotations

import pytest
from prefect.flows import load_flow_from_entrypoint

from verbund.deployments.specs import SPECS, deployment_name
from verbund.domain.process import all_templates


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.entrypoint)
def test_the_entrypoint_loads_the_flow_the_deployment_is_named_after(spec) -> None:  # type: ignore[no-untyped-def]
    flow = load_flow_from_entrypoint(spec.entrypoint)
    assert flow.name == spec.flow_name
    assert spec.entrypoint.startswith("verbund.flows.")  # a module path: never loaded under a second name


def test_the_written_template_stage_module_has_every_template_stage_and_nothing_else() -> None:
    from verbund.flows import template_stages
    from verbund.flows.registry import STAGE_FLOWS

    expected = {template_stages.attribute(stage.name) for template in all_templates() for stage in template.stages}
    expected -= set(STAGE_FLOWS) & {"analysis", "potentials", "goals", "consultation", "protocol"}
    bound = {name for name, value in vars(template_stages).items() if hasattr(value, "fn") and not name.startswith("_")}
    assert bound == expected


def test_every_stage_of_every_template_has_a_deployment_the_trigger_can_name() -> None:
    deployed = {deployment_name(spec.flow_name) for spec in SPECS}
    stages = {stage.name for template in all_templates() for stage in template.stages}
    assert len(all_templates()) >= 4
    missing = sorted(stage for stage in stages if deployment_name(stage) not in deployed)
    assert missing == []


def test_stage_deployments_carry_their_stage_tag_and_the_schedules_are_berlin_weekday_mornings() -> None:
    for spec in SPECS:
        stage_tags = [tag for tag in spec.tags if tag.startswith("stage:")]
        if stage_tags:
            assert stage_tags == [f"stage:{spec.flow_name}"]
    crons = {spec.flow_name: spec.cron for spec in SPECS if spec.cron}
    assert crons["reminder-sweep"] == "0 8 * * 1-5"
    assert "build-report" in crons


def test_both_daily_sweeps_start_inside_the_send_window_so_they_can_send() -> None:
    import datetime as dt

    from verbund.cli.dashboard import SWEEP_HOUR
    from verbund.domain.business_days import BusinessCalendar
    from verbund.domain.outbox import in_send_window
    from verbund.services.app.clock import BERLIN

    calendar = BusinessCalendar("SN")
    monday = dt.date(2026, 11, 23)
    cron_hour = int(next(spec.cron for spec in SPECS if spec.flow_name == "reminder-sweep").split()[1])
    for hour in (SWEEP_HOUR, cron_hour):
        assert in_send_window(dt.datetime.combine(monday, dt.time(hour), tzinfo=BERLIN), calendar), hour


def test_the_checked_in_prefect_yaml_is_up_to_date_with_the_templates() -> None:
    """`make prefect-yaml` regenerates it; a template stage or spec added without that fails here."""
    from pathlib import Path

    from verbund.deployments.prefect_yaml import render

    checked_in = Path(__file__).resolve().parents[2] / "prefect.yaml"
    assert checked_in.read_text(encoding="utf-8") == render(), "prefect.yaml ist veraltet: make prefect-yaml"


def test_prefect_yaml_names_every_spec_by_module_path_with_its_schedule() -> None:
    import yaml

    from verbund.deployments.prefect_yaml import render

    document = yaml.safe_load(render())
    entries = {entry["entrypoint"]: entry for entry in document["deployments"]}
    assert set(entries) == {spec.entrypoint for spec in SPECS}
    assert document["pull"] == []  # module paths: nothing to pull, the workers' virtualenv has verbund
    for spec in SPECS:
        entry = entries[spec.entrypoint]
        assert entry["name"] == "verbund" and entry["work_pool"] == {"name": "verbund"}
        assert [s["cron"] for s in entry["schedules"]] == ([spec.cron] if spec.cron else [])
        assert entry["parameters"] == spec.parameters and entry["tags"] == list(spec.tags)
