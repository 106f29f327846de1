"""A synthetic build-out with known truth, for the forecast's calibration and benchmark.

Every network of the Saxon template draws its stage durations (business days of Saxony) from a
lognormal per stage, scaled by a region effect; 5 % of stages are waived (they take no time) and
10 % of networks stall: one stage, chosen at random, never finishes. ``histories_at`` shows the
world as the forecast sees it at a cut-off; ``truth`` says when each network really finished
(None: never, within the horizon).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from verbund.domain.forecast import NetworkHistory, RunFact, business_day_index, minimum_of
from verbund.domain.process import load_template

TEMPLATE = load_template("sachsen-inklusion")
INDEX = business_day_index("SN", 2018, 2035)
# True medians relative to the template's nominal durations (reality runs late), and the spread.
MEDIAN_FACTOR = {"analysis": 1.4, "potentials": 1.1, "goals": 1.3, "consultation": 1.2, "protocol": 1.0}
SIGMA = {"analysis": 0.5, "potentials": 0.6, "goals": 0.5, "consultation": 0.4, "protocol": 0.4}
REGION_SIGMA = 0.3
STALL_SHARE = 0.10
WAIVER_SHARE = 0.05
FIRST_START, LAST_START = dt.date(2019, 9, 2), dt.date(2020, 12, 18)


@dataclass(frozen=True)
class SyntheticNetwork:
    slug: str
    region: str
    opens: tuple[int, ...]  # positions in INDEX per stage
    finishes: tuple[int | None, ...]  # None: stalled, never finishes
    waived: tuple[bool, ...]

    @property
    def completion(self) -> int | None:
        return self.finishes[-1]


def build_world(seed: int, networks: int = 300, regions: int = 8) -> list[SyntheticNetwork]:
    rng = np.random.default_rng(seed)
    effects = np.exp(rng.normal(0.0, REGION_SIGMA, regions))
    first, last = INDEX.position(FIRST_START), INDEX.position(LAST_START)
    world = []
    for number in range(networks):
        region = int(rng.integers(regions))
        stall = int(rng.integers(len(TEMPLATE.stages))) if rng.random() < STALL_SHARE else None
        at: int | None = int(rng.integers(first, last + 1))
        opens, finishes, waived = [], [], []
        for k, stage in enumerate(TEMPLATE.stages):
            skip = bool(rng.random() < WAIVER_SHARE)
            median = stage.due_business_days * MEDIAN_FACTOR[stage.name] * effects[region]
            duration = max(round(median * np.exp(SIGMA[stage.name] * rng.normal())), minimum_of(stage))
            if at is None:
                opens.append(-1)
                finishes.append(None)
                waived.append(False)
                continue
            opens.append(at)
            waived.append(skip and k != stall)
            if k == stall:
                at = None
            elif not skip:
                at = at + duration
            finishes.append(at)
        world.append(SyntheticNetwork(f"s{seed}-n{number:04d}", f"sn-r{region}", tuple(opens), tuple(finishes),
                                      tuple(waived)))
    return world


def _run(name: str, opened: int, finished: int | None, waived: bool, now: int, nominal: int) -> RunFact:
    if opened < 0 or opened > now:
        return RunFact(name, 1, "pending")
    open_day = INDEX.date_at(opened)
    due = INDEX.date_at(opened + nominal)
    if finished is not None and finished <= now:
        return RunFact(name, 1, "waived" if waived else "completed", open_day, INDEX.date_at(finished), due)
    return RunFact(name, 1, "open", open_day, None, due)


def histories_at(world: list[SyntheticNetwork], as_of: dt.date) -> list[NetworkHistory]:
    """The networks that exist (have started) at ``as_of``, as the forecast sees them."""
    now = INDEX.position(as_of)
    histories = []
    for network in world:
        if network.opens[0] > now:
            continue
        runs = tuple(
            _run(stage.name, opened, finished, skip, now, stage.due_business_days)
            for stage, opened, finished, skip in zip(
                TEMPLATE.stages, network.opens, network.finishes, network.waived, strict=True)
        )
        histories.append(NetworkHistory(network.slug, network.slug, network.region, "SN", TEMPLATE, runs))
    return histories
