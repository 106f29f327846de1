"""The forecast's method on hand-made histories: order of the quantiles, completed networks,
business days of the network's own Land, censoring, minimums, determinism."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verbund.domain.business_days import BusinessCalendar
from verbund.domain.errors import InvalidInput
from verbund.domain.forecast import (
    ForecastOptions,
    NetworkHistory,
    RunFact,
    forecast,
    kaplan_meier,
    minimum_of,
)
from verbund.domain.process import load_template

SAXONY = load_template("sachsen-inklusion")
NRW = load_template("nrw-bildungsnetzwerk")
D = dt.date


def _done(stage: str, opened: dt.date, days: int, land: str = "SN", state: str = "completed") -> RunFact:
    return RunFact(stage, 1, state, opened, BusinessCalendar(land).add_business_days(opened, days))


def _peers(stage: str, days: int, land: str, template_key: str, count: int = 6) -> list[NetworkHistory]:
    """``count`` networks that each took exactly ``days`` business days for ``stage``."""
    template = SAXONY if template_key == SAXONY.key else NRW
    region = f"{land.lower()}-peers"
    return [NetworkHistory(f"peer-{land}-{i}", f"Peer {i}", region, land, template,
                           (_done(stage, D(2019, 3, 4) + dt.timedelta(weeks=i), days, land),))
            for i in range(count)]


def test_kaplan_meier_counts_open_stages_as_censored_not_as_finished() -> None:
    # durations 2, 3+, 4, 5 (3 still open): S(2) = 3/4, S(4) = 3/4 · 1/2, S(5) = 0
    survival = kaplan_meier(np.array([2, 3, 4, 5]), np.array([True, False, True, True]))
    assert survival.times.tolist() == [2, 4, 5]
    assert survival.surv.tolist() == pytest.approx([0.75, 0.375, 0.0])
    assert survival.at(3) == pytest.approx(0.75)


def test_the_open_stage_is_drawn_only_from_durations_longer_than_the_time_spent() -> None:
    survival = kaplan_meier(np.arange(1, 41), np.ones(40, dtype=bool))
    drawn = survival.sample(25, np.random.default_rng(1), 5000)
    assert drawn.min() == 26 and drawn.max() == 40
    beyond = survival.sample(60, np.random.default_rng(1), 1000)
    assert beyond.min() > 60 and survival.beyond_observations(60)


def test_invitation_lead_time_and_objection_period_are_fixed_minimums() -> None:
    assert {s.name: minimum_of(s) for s in SAXONY.stages} == {
        "analysis": 0, "potentials": 0, "goals": 0, "consultation": 10, "protocol": 10}


@pytest.mark.parametrize(("land", "template", "expected"), [
    ("SN", SAXONY.key, D(2019, 11, 1)),   # Reformationstag 31.10. is a holiday in Saxony
    ("NW", NRW.key, D(2019, 10, 31)),     # Allerheiligen 01.11. is one in NRW, 31.10. is not
])
def test_a_forecast_lands_on_a_business_day_of_the_networks_own_land(
        land: str, template: str, expected: dt.date) -> None:
    stage = "analysis" if template == SAXONY.key else "kooperationsvertrag"
    own_template = SAXONY if template == SAXONY.key else NRW
    calendar = BusinessCalendar(land)
    opened = calendar.add_business_days(expected, -10)  # 10 business days before, in its calendar
    network = NetworkHistory("own", "Eigen", f"{land.lower()}-peers", land, own_template,
                             (RunFact(stage, 1, "open", opened, None, expected),))
    options = ForecastOptions(D(2019, 10, 21), seed=3, draws=500, target=D(2019, 12, 31), target_stage=stage)
    (result,) = forecast([*_peers(stage, 10, land, template), network], options, only={"own"})
    assert result.p50 == result.p80 == result.p95 == expected
    assert result.stages[0].basis is not None and result.stages[0].basis.source == "region"


def test_a_completed_network_forecasts_its_actual_date_with_certainty() -> None:
    start = D(2019, 9, 2)
    runs, day = [], start
    for stage in SAXONY.stages:
        finished = BusinessCalendar("SN").add_business_days(day, stage.due_business_days)
        runs.append(RunFact(stage.name, 1, "completed", day, finished))
        day = finished
    network = NetworkHistory("fertig", "Fertig", "sn-x", "SN", SAXONY, tuple(runs))
    (result,) = forecast([network], ForecastOptions(D(2020, 6, 1)))
    assert result.done and result.p50 == result.p80 == result.p95 == day
    assert result.p_done == 1.0 and result.risk == "im Plan"


def test_a_template_without_a_report_date_needs_a_target() -> None:
    network = NetworkHistory("n", "N", "nw-x", "NW", NRW, ())
    with pytest.raises(InvalidInput, match="--target"):
        forecast([network], ForecastOptions(D(2020, 1, 6)))
    (result,) = forecast([network], ForecastOptions(D(2020, 1, 6), target=D(2021, 6, 30)))
    assert result.target == D(2021, 6, 30)


def test_an_unknown_target_stage_is_refused_naming_the_option() -> None:
    network = NetworkHistory("n", "N", "sn-x", "SN", SAXONY, ())
    with pytest.raises(InvalidInput, match=r"--target-stage: .*'nope'"):
        forecast([network], ForecastOptions(D(2020, 1, 6), target_stage="nope"))


def test_a_recurring_stage_is_forecast_for_its_current_cycle() -> None:
    day = D(2019, 9, 2)
    runs = []
    for stage in NRW.stages:
        runs.append(_done(stage.name, day, stage.due_business_days, "NW"))
        day = runs[-1].finished or day
    runs.append(RunFact("bildungskonferenz", 2, "open", D(2021, 1, 4), None, D(2021, 3, 31)))
    network = NetworkHistory("rbn", "RBN", "nw-x", "NW", NRW, tuple(runs))
    (result,) = forecast([network], ForecastOptions(D(2021, 2, 1), target=D(2021, 12, 31)))
    cycles = {s.name: (s.cycle, s.state) for s in result.stages}
    assert cycles["bildungskonferenz"] == (2, "open") and cycles["bezirksbericht"] == (2, "pending")
    assert not result.done and result.p50 is not None and result.p50 > D(2021, 2, 1)


history_strategy = st.tuples(
    st.sampled_from([("SN", SAXONY), ("NW", NRW)]),
    st.integers(min_value=0, max_value=4),  # stages done
    st.integers(min_value=0, max_value=80),  # business days the next stage has run
    st.dates(min_value=D(2019, 1, 7), max_value=D(2021, 6, 30)),
)


def _history(slug: str, spec: tuple[tuple[str, object], int, int, dt.date]) -> tuple[NetworkHistory, dt.date]:
    (land, template), done, spent, start = spec
    assert hasattr(template, "stages")
    stages = template.stages  # type: ignore[attr-defined]
    calendar, runs, day = BusinessCalendar(land), [], start
    for stage in stages[:done]:
        runs.append(_done(stage.name, day, stage.due_business_days, land))
        day = runs[-1].finished
    runs.append(RunFact(stages[done].name, 1, "open", day, None, calendar.add_business_days(day, 20)))
    return NetworkHistory(slug, slug, f"{land.lower()}-r", land, template, tuple(runs)), \
        calendar.add_business_days(day, spent)  # type: ignore[return-value]


@settings(max_examples=40, deadline=None)
@given(st.lists(history_strategy, min_size=1, max_size=6), st.integers(min_value=0, max_value=2**16))
def test_quantiles_are_ordered_and_never_fall_on_a_weekend_or_holiday_of_the_land(specs: list, seed: int) -> None:
    made = [_history(f"n{i}", spec) for i, spec in enumerate(specs)]
    as_of = max(day for _, day in made)
    histories = [h for h, _ in made]
    for result in forecast(histories, ForecastOptions(as_of, seed=seed, draws=300, target=D(2022, 6, 30))):
        dates = [d for d in (result.p50, result.p80, result.p95) if d is not None]
        assert dates == sorted(dates)
        assert all(BusinessCalendar(result.land).is_business_day(d) for d in dates)
        assert all(d > as_of for d in dates)
        assert 0.0 <= result.p_done <= 1.0


def test_the_same_input_and_seed_give_byte_identical_json_and_a_region_its_part_of_the_land() -> None:
    made = [_history(f"n{i}", ((("SN", SAXONY) if i % 2 else ("NW", NRW)), i % 4, 5 * i, D(2020, 1, 6)))
            for i in range(12)]
    histories = [h for h, _ in made]
    options = ForecastOptions(D(2020, 9, 1), seed=7, draws=400, target=D(2021, 9, 30))
    first = json.dumps([f.to_dict() for f in forecast(histories, options)], ensure_ascii=False)
    again = json.dumps([f.to_dict() for f in forecast(list(reversed(histories)), options)], ensure_ascii=False)
    assert first == again
    part = forecast(histories, options, only={"n3", "n5"})
    assert [f.to_dict() for f in part] == [f for f in json.loads(first) if f["slug"] in ("n3", "n5")]
    other = json.dumps([f.to_dict() for f in forecast(histories, ForecastOptions(
        D(2020, 9, 1), seed=8, draws=400, target=D(2021, 9, 30)))], ensure_ascii=False)
    assert other != first


def test_the_plan_of_a_stage_that_waits_for_schools_ends_after_the_schulferien() -> None:
    from verbund.domain.ferien import school_holidays

    calendar, ferien = BusinessCalendar("SN"), school_holidays("SN")
    assert SAXONY.stage("analysis").waits_for_schools and ferien.contains(D(2020, 8, 3))
    as_of = calendar.add_business_days(D(2020, 8, 3), -40)  # 40 business days later: in the Sommerferien
    network = NetworkHistory("neu", "Neu", "sn-x", "SN", SAXONY, ())
    options = ForecastOptions(as_of, draws=200, target_stage="analysis")
    (plain,) = forecast([network], options)
    (with_ferien,) = forecast([network], options, school_holidays={"SN": ferien})
    assert plain.plan_end == D(2020, 8, 3)
    assert with_ferien.plan_end == ferien.first_school_day(D(2020, 8, 3), calendar) > D(2020, 8, 3)
    assert with_ferien.p50 == plain.p50  # the Monte Carlo's durations already contain the Ferien
