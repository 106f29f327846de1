"""Monte Carlo over the stages still to come, and the plan tier beside it. Pure and deterministic.

Each network draws from its own generator, seeded by the seed and the network's slug, so a
network's forecast does not depend on which other networks are forecast with it. Per network the
draws are vectorised: one array of ``draws`` finish positions (business days of the network's Land)
per stage, in the template's order; a stage starts when the latest of its ``after`` stages is done.
"""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np

from verbund.domain.business_days import BusinessCalendar
from verbund.domain.errors import InvalidInput
from verbund.domain.ferien import SchoolHolidays
from verbund.domain.forecast.calendar_index import BusinessDayIndex, business_day_index
from verbund.domain.forecast.model import (
    AT_RISK,
    DONE,
    MISSED,
    ON_TRACK,
    STALLED,
    UNDER_WAY,
    ForecastOptions,
    NetworkForecast,
    NetworkHistory,
    RunFact,
    StageForecast,
)
from verbund.domain.forecast.pools import Pools
from verbund.domain.process import ProcessTemplate, StageTemplate

HORIZON_YEARS = 10
QUANTILES = (0.5, 0.8, 0.95)


def minimum_of(stage: StageTemplate) -> int:
    """The fixed least duration: the template's ``minimum_business_days`` or the invitation lead time."""
    lead = [int(spec.params.get("business_days", 0)) for spec in stage.checks
            if spec.check == "consultation_invited_ahead"]
    return max([stage.minimum_business_days, *lead])


def target_of(template: ProcessTemplate, options: ForecastOptions) -> dt.date:
    target = options.target or template.report_date
    if target is None:
        raise InvalidInput(f"--target: die Vorlage '{template.key}' nennt kein Berichtsdatum (report_date); "
                           "bitte ein Zieldatum angeben (JJJJ-MM-TT)")
    return target


def current_runs(history: NetworkHistory) -> list[RunFact]:
    """One occurrence per stage: cycle 1, and for recurring stages the current cycle (the latest
    that has begun among them); an occurrence that does not exist yet is pending."""
    runs = {(run.stage, run.cycle): run for run in history.runs}
    recurring = [s.name for s in history.template.stages if s.recurring]
    begun = [run.cycle for run in history.runs if run.stage in recurring and run.state != "pending"]
    cycle = max(begun, default=1)
    chosen = []
    for stage in history.template.stages:
        number = cycle if stage.recurring else 1
        chosen.append(runs.get((stage.name, number), RunFact(stage.name, number, "pending")))
    return chosen


def _indexes(histories: list[NetworkHistory], chosen: list[NetworkHistory],
             options: ForecastOptions) -> dict[str, BusinessDayIndex]:
    """Business-day indexes per Land of every history (all are pooled), long enough for the chosen
    networks' targets (a network left out may have no report date: it needs none)."""
    dates = [options.as_of, *(d for h in histories for r in h.runs for d in (r.opened, r.finished) if d)]
    targets = [target_of(h.template, options) for h in chosen]
    first = min(dates).year - 1
    last = max([options.as_of, *targets]).year + HORIZON_YEARS
    return {land: business_day_index(land, first, last) for land in sorted({h.land for h in histories})}


def forecast(histories: list[NetworkHistory], options: ForecastOptions, only: set[str] | None = None,
             school_holidays: dict[str, SchoolHolidays] | None = None) -> list[NetworkForecast]:
    """Forecast every network (in slug order) as of ``options.as_of``; ``only``: just these slugs,
    with every network's history still pooled (a region's forecast equals its part of the Land's).
    ``school_holidays`` per Land: the plan of a stage that waits for schools ends outside them."""
    if options.draws < 1:
        raise InvalidInput(f"--draws: muss mindestens 1 sein, ist {options.draws}")
    chosen = sorted((h for h in histories if only is None or h.slug in only), key=lambda h: h.slug)
    for history in chosen:
        if options.target_stage is not None and options.target_stage not in history.template.stage_names:
            raise InvalidInput(f"--target-stage: die Vorlage '{history.template.key}' (Verbund {history.slug}) "
                               f"hat keine Stufe '{options.target_stage}' "
                               f"(Stufen: {', '.join(history.template.stage_names)})")
    if not chosen:
        return []
    indexes = _indexes(histories, chosen, options)
    pools = Pools(histories, indexes, options.as_of)
    ferien = school_holidays or {}
    return [_network(h, options, indexes[h.land], pools, ferien.get(h.land)) for h in chosen]


def _planned(stage: StageTemplate, start: int, index: BusinessDayIndex, ferien: SchoolHolidays | None) -> int:
    """The plan's end of a stage not yet open: ``start`` plus its nominal business days; a stage that
    waits for schools ends on the first school day when that falls in the Schulferien."""
    end = start + stage.due_business_days
    day = index.date_at(end)
    if ferien is None or not stage.waits_for_schools or day is None or not ferien.contains(day):
        return end
    return index.position(ferien.first_school_day(day, BusinessCalendar(index.state)))


def _network(history: NetworkHistory, options: ForecastOptions, index: BusinessDayIndex,
             pools: Pools, ferien: SchoolHolidays | None) -> NetworkForecast:
    rng = np.random.default_rng([options.seed, zlib.crc32(history.slug.encode())])
    draws, now = options.draws, index.position(options.as_of)
    template = history.template
    finish: dict[str, np.ndarray] = {}
    plan: dict[str, int] = {}
    stages: list[StageForecast] = []
    for stage, run in zip(template.stages, current_runs(history), strict=True):
        nominal, minimum = stage.due_business_days, minimum_of(stage)
        before = [finish[name] for name in stage.after]
        planned_before = [plan[name] for name in stage.after]
        if run.state in DONE and run.finished is not None:
            finish[stage.name] = np.full(draws, index.position(run.finished), dtype=np.int64)
            plan[stage.name] = index.position(run.finished)
            stages.append(StageForecast(stage.name, run.cycle, run.state, nominal, minimum, None))
            continue
        pool = pools.pool(template.key, stage.name, history.region, history.land, nominal)
        if run.state in UNDER_WAY and run.opened is not None:
            start = index.position(run.opened)
            spent = max(now - start, 0)
            durations = np.maximum(pool.survival.sample(spent, rng, draws), minimum)
            begins: np.ndarray = np.full(draws, start, dtype=np.int64)
            due = index.position(run.due) if run.due else start + nominal
            plan[stage.name] = max(due, now + 1)
            tail = pool.survival.beyond_observations(spent) if pool.basis.source != "prior" else spent > 2 * nominal
            p_waived = 0.0
        else:
            begins = np.maximum.reduce([*before, np.full(draws, now, dtype=np.int64)])
            waived = rng.random(draws) < pool.p_waived
            durations = np.where(waived, 0, np.maximum(pool.survival.sample(-1, rng, draws), minimum))
            plan[stage.name] = _planned(stage, max([*planned_before, now]), index, ferien)
            spent, tail, p_waived = None, False, pool.p_waived
        finish[stage.name] = np.maximum(begins + durations, now + 1)
        stages.append(StageForecast(stage.name, run.cycle, run.state, nominal, minimum, pool.basis, spent, tail,
                                    p_waived, float(np.mean(np.maximum(durations - nominal, 0)))))
    return _summarise(history, options, index, finish, plan, stages)


def _summarise(history: NetworkHistory, options: ForecastOptions, index: BusinessDayIndex,
               finish: dict[str, np.ndarray], plan: dict[str, int], stages: list[StageForecast]) -> NetworkForecast:
    target = target_of(history.template, options)
    target_position = index.position(target)
    names = [options.target_stage] if options.target_stage else list(finish)
    end = np.maximum.reduce([finish[name] for name in names])
    plan_end = max(plan[name] for name in names)
    actual = _actual_end(history, names)
    if actual is not None:  # done: its real date, with certainty
        p50 = p80 = p95 = index.position(actual)
        dates: tuple[dt.date | None, ...] = (actual, actual, actual)
        p_done = 1.0 if actual <= target else 0.0
    else:
        p50, p80, p95 = (int(np.quantile(end, q, method="inverted_cdf")) for q in QUANTILES)
        dates = (index.date_at(p50), index.date_at(p80), index.date_at(p95))
        p_done = float(np.mean(end <= target_position))
    open_stages = [s for s in stages if s.state not in DONE]
    delayed = max(open_stages, key=lambda s: s.delay, default=None)
    return NetworkForecast(
        slug=history.slug, name=history.name, region=history.region, land=history.land,
        template=history.template.key, target=target, target_stage=options.target_stage, done=actual is not None,
        p50=dates[0], p80=dates[1], p95=dates[2], p_done=p_done,
        plan_end=actual or index.date_at(plan_end),
        plan_done=(actual <= target) if actual else plan_end <= target_position,
        risk=_risk(actual is not None, p50, p80, target_position, stages),
        delay_stage=delayed.name if delayed is not None and delayed.delay > 0 else None,
        stages=tuple(stages),
    )


def _actual_end(history: NetworkHistory, names: list[str]) -> dt.date | None:
    """When the target stage(s) were done, or None while one is not."""
    runs = {run.stage: run for run in current_runs(history)}
    ends = [runs[name].finished for name in names if runs[name].state in DONE]
    if len(ends) < len(names) or any(end is None for end in ends):
        return None
    return max(end for end in ends if end is not None)


def _risk(done: bool, p50: int, p80: int, target: int, stages: list[StageForecast]) -> str:
    if done:
        return ON_TRACK if p50 <= target else MISSED
    if any(s.tail and s.spent is not None and s.spent > 2 * s.nominal for s in stages):
        return STALLED
    if p50 > target:
        return MISSED
    return AT_RISK if p80 > target else ON_TRACK
