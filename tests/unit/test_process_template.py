"""Process templates: the bundled Saxon template, and errors that name where a template is wrong."""

from __future__ import annotations

import copy
import itertools
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from verbund.domain.criteria import REGISTRY
from verbund.domain.errors import DomainError, TemplateError
from verbund.domain.process import (
    DEFAULT_TEMPLATE,
    CheckSpec,
    ProcessTemplate,
    load_template,
    load_template_file,
    parse_template,
    template_keys,
)

SAXON_ORDER = ["analysis", "potentials", "goals", "consultation", "protocol"]
WHERE = "test.toml"


@pytest.fixture
def saxon() -> ProcessTemplate:
    return load_template("sachsen-inklusion")


@pytest.fixture
def raw() -> dict[str, Any]:
    """The bundled template as parsed TOML, a fresh copy to spoil."""
    text = resources.files("verbund.domain").joinpath("templates", "sachsen-inklusion.toml").read_text(encoding="utf-8")
    return copy.deepcopy(tomllib.loads(text))


def minimal(**stage: Any) -> dict[str, Any]:
    return {
        "key": "mini",
        "name": "Mini",
        "state": "SN",
        "stages": [{"name": "only", "title": "Einzige Stufe", "due_business_days": 5, **stage}],
    }


# --- the bundled template -------------------------------------------------------------------------


def test_saxon_template_is_the_default_and_is_listed() -> None:
    assert DEFAULT_TEMPLATE == "sachsen-inklusion"
    assert "sachsen-inklusion" in template_keys()


def test_saxon_template_has_its_five_stages_in_order(saxon: ProcessTemplate) -> None:
    assert saxon.key == "sachsen-inklusion"
    assert saxon.state == "SN"
    assert saxon.stage_names == SAXON_ORDER
    assert [saxon.position(name) for name in SAXON_ORDER] == [0, 1, 2, 3, 4]


def test_each_saxon_stage_follows_the_previous_one(saxon: ProcessTemplate) -> None:
    assert saxon.predecessor("analysis") is None
    assert saxon.successor("protocol") is None
    for earlier, later in itertools.pairwise(SAXON_ORDER):
        predecessor = saxon.predecessor(later)
        successor = saxon.successor(earlier)
        assert predecessor is not None and predecessor.name == earlier
        assert successor is not None and successor.name == later


def test_analysis_and_protocol_need_sign_off_and_the_other_stages_do_not(saxon: ProcessTemplate) -> None:
    assert {stage.name for stage in saxon.stages if stage.sign_off} == {"analysis", "protocol"}


def test_saxon_stages_declare_the_exit_checks_of_the_law(saxon: ProcessTemplate) -> None:
    checks = {stage.name: [spec.check for spec in stage.checks] for stage in saxon.stages}
    assert checks == {
        "analysis": ["schools_covered", "required_partners", "analysis_complete"],
        "potentials": ["potentials_per_area"],
        "goals": ["goals_well_formed"],
        "consultation": ["consultation_invited_ahead", "consultation_held_with_quorum", "goals_confirmed"],
        "protocol": ["protocol_published", "recommendations_tracked"],
    }
    invited = saxon.stage("consultation").checks[0]
    assert invited == CheckSpec("consultation_invited_ahead", {"business_days": 10})
    partners = saxon.stage("analysis").checks[1]
    assert set(partners.params["kinds"]) == {"school_board", "youth_welfare", "social_welfare", "student_transport"}


def test_saxon_stages_are_due_after_positive_business_days_with_reminders_latest_first(
    saxon: ProcessTemplate,
) -> None:
    for stage in saxon.stages:
        assert stage.due_business_days >= 1
        assert stage.title
        assert list(stage.reminders_business_days) == sorted(stage.reminders_business_days, reverse=True)
    assert saxon.stage("analysis").due_business_days == 40


def test_asking_a_template_for_a_stage_it_lacks_names_the_stage_and_lists_the_real_ones(
    saxon: ProcessTemplate,
) -> None:
    with pytest.raises(TemplateError) as caught:
        saxon.stage("evaluation")

    message = str(caught.value)
    assert "'evaluation'" in message
    assert "sachsen-inklusion" in message
    for name in SAXON_ORDER:
        assert name in message
    with pytest.raises(TemplateError):
        saxon.predecessor("evaluation")


def test_loading_an_unknown_template_names_it_and_lists_the_known_ones() -> None:
    with pytest.raises(TemplateError) as caught:
        load_template("nrw-inklusion")

    assert isinstance(caught.value, DomainError)
    assert "'nrw-inklusion'" in str(caught.value)
    assert "sachsen-inklusion" in str(caught.value)


# --- parse_template errors ------------------------------------------------------------------------


def test_raw_bundled_template_parses_to_the_loaded_one(raw: dict[str, Any], saxon: ProcessTemplate) -> None:
    assert parse_template(raw, WHERE) == saxon


@pytest.mark.parametrize("key", ["key", "name", "state"])
def test_missing_top_level_key_is_named_with_the_source(raw: dict[str, Any], key: str) -> None:
    del raw[key]

    with pytest.raises(TemplateError) as caught:
        parse_template(raw, WHERE)

    assert str(caught.value).startswith(WHERE)
    assert f"'{key}' fehlt" in str(caught.value)


@pytest.mark.parametrize("key", ["name", "title", "due_business_days"])
def test_missing_stage_key_names_the_stage_index_and_key(raw: dict[str, Any], key: str) -> None:
    del raw["stages"][2][key]

    with pytest.raises(TemplateError) as caught:
        parse_template(raw, WHERE)

    message = str(caught.value)
    assert "stages[2]" in message
    assert f"'{key}' fehlt" in message
    if key != "name":
        assert "Stufe 'goals'" in message


def test_missing_check_name_names_the_check_position(raw: dict[str, Any]) -> None:
    del raw["stages"][3]["checks"][1]["check"]

    with pytest.raises(TemplateError) as caught:
        parse_template(raw, WHERE)

    assert "Stufe 'consultation'" in str(caught.value)
    assert "checks[1]" in str(caught.value)
    assert "'check' fehlt" in str(caught.value)


@pytest.mark.parametrize(
    ("key", "value", "expected_type"),
    [
        ("due_business_days", "40", "int"),
        ("due_business_days", 4.5, "int"),
        ("due_business_days", True, "int"),
        ("title", 7, "str"),
        ("name", ["analysis"], "str"),
    ],
)
def test_stage_value_of_the_wrong_type_is_refused_naming_key_type_and_value(
    raw: dict[str, Any], key: str, value: Any, expected_type: str
) -> None:
    raw["stages"][0][key] = value

    with pytest.raises(TemplateError) as caught:
        parse_template(raw, WHERE)

    message = str(caught.value)
    assert "stages[0]" in message
    assert f"'{key}' muss {expected_type} sein" in message
    assert repr(value) in message


def test_top_level_value_of_the_wrong_type_is_refused(raw: dict[str, Any]) -> None:
    raw["state"] = 14

    with pytest.raises(TemplateError, match="'state' muss str sein, ist 14"):
        parse_template(raw, WHERE)


@pytest.mark.parametrize("reminders", [[5, -1], "5", [True], [1.5]])
def test_reminders_must_be_a_list_of_non_negative_whole_numbers(reminders: Any) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(minimal(reminders_business_days=reminders), WHERE)

    assert "Stufe 'only'" in str(caught.value)
    assert "reminders_business_days" in str(caught.value)


def test_reminders_are_kept_latest_first_and_default_to_none() -> None:
    assert parse_template(minimal(reminders_business_days=[1, 10, 5]), WHERE).stages[0].reminders_business_days == (
        10,
        5,
        1,
    )
    only = parse_template(minimal(), WHERE).stages[0]
    assert only.reminders_business_days == ()
    assert only.checks == ()
    assert only.sign_off is False
    assert only.description == ""


def test_unknown_check_is_refused_listing_the_known_checks(raw: dict[str, Any]) -> None:
    raw["stages"][2]["checks"][0]["check"] = "goals_smart"

    with pytest.raises(TemplateError) as caught:
        parse_template(raw, WHERE)

    message = str(caught.value)
    assert "'goals_smart'" in message
    assert "Stufe 'goals'" in message
    assert "checks[0]" in message
    for known in REGISTRY:
        assert known in message


def test_check_parameters_are_everything_but_the_check_name() -> None:
    template = parse_template(
        minimal(checks=[{"check": "recommendations_tracked", "minimum": 3}, {"check": "goals_confirmed"}]), WHERE
    )

    assert template.stages[0].checks == (
        CheckSpec("recommendations_tracked", {"minimum": 3}),
        CheckSpec("goals_confirmed", {}),
    )


def test_duplicate_stage_names_are_refused_naming_the_duplicate(raw: dict[str, Any]) -> None:
    raw["stages"][3]["name"] = "goals"

    with pytest.raises(TemplateError) as caught:
        parse_template(raw, WHERE)

    assert "doppelt" in str(caught.value)
    assert "goals" in str(caught.value)
    assert "consultation" not in str(caught.value)


@pytest.mark.parametrize(
    "stages", [[], None, "analysis", {"name": "analysis"}], ids=["empty", "missing", "str", "table"]
)
def test_template_without_a_list_of_stages_is_refused(raw: dict[str, Any], stages: Any) -> None:
    if stages is None:
        del raw["stages"]
    else:
        raw["stages"] = stages

    with pytest.raises(TemplateError) as caught:
        parse_template(raw, WHERE)

    assert str(caught.value).startswith(WHERE)
    assert "keine Stufen" in str(caught.value)


@pytest.mark.parametrize("due", [0, -5])
def test_stage_due_in_less_than_one_business_day_is_refused(raw: dict[str, Any], due: int) -> None:
    raw["stages"][1]["due_business_days"] = due

    with pytest.raises(TemplateError) as caught:
        parse_template(raw, WHERE)

    message = str(caught.value)
    assert "Stufe 'potentials'" in message
    assert "due_business_days" in message
    assert str(due) in message


def test_one_business_day_is_the_shortest_allowed_due_offset() -> None:
    assert parse_template(minimal(due_business_days=1), WHERE).stages[0].due_business_days == 1


# --- template files -------------------------------------------------------------------------------


def test_template_file_with_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "kaputt.toml"
    path.write_text('key = "kaputt"\n[[stages]\nname = ', encoding="utf-8")

    with pytest.raises(TemplateError) as caught:
        load_template_file(path)

    assert str(path) in str(caught.value)
    assert "TOML" in str(caught.value)


def test_template_file_errors_name_the_file_path(tmp_path: Path) -> None:
    path = tmp_path / "ohne-stufen.toml"
    path.write_text('key = "ohne-stufen"\nname = "Ohne Stufen"\nstate = "SN"\n', encoding="utf-8")

    with pytest.raises(TemplateError) as caught:
        load_template_file(path)

    assert str(caught.value).startswith(str(path))


def test_a_valid_template_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "zwei.toml"
    path.write_text(
        'key = "zwei"\nname = "Zwei Stufen"\nstate = "NW"\n'
        '[[stages]]\nname = "a"\ntitle = "A"\ndue_business_days = 3\nsign_off = true\n'
        '[[stages]]\nname = "b"\ntitle = "B"\ndue_business_days = 2\n'
        '[[stages.checks]]\ncheck = "goals_confirmed"\n',
        encoding="utf-8",
    )

    template = load_template_file(path)

    assert template.stage_names == ["a", "b"]
    assert template.state == "NW"
    assert template.stage("a").sign_off is True
    assert template.successor("a") == template.stage("b")
    assert [spec.check for spec in template.stage("b").checks] == ["goals_confirmed"]


def test_sign_off_given_as_a_string_is_refused_like_any_other_wrongly_typed_value() -> None:
    with pytest.raises(TemplateError, match="sign_off"):
        parse_template(minimal(sign_off="false"), WHERE)
