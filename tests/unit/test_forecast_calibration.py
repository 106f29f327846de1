"""Calibration of the forecast on synthetic build-outs with known truth (benchmarks/forecast_world.py).

Independent networks, one cut-off each: every seed builds its own world of 300 networks and gives
each network one of five cut-off dates at random; a network is evaluated once, at its cut-off, if it
has started and is not done by then. The pools still see every network of its world as of the date.
A stalled network never finishes: it counts as not done for every date. A quantile beyond the
horizon (the forecast puts more than that share on "never") covers everything, including a stall.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from forecast_world import INDEX, build_world, histories_at

from verbund.domain.forecast import ForecastOptions, forecast

CUTOFFS = (D := dt.date)(2020, 3, 2), D(2020, 7, 1), D(2020, 11, 2), D(2021, 3, 1), D(2021, 6, 1)
TARGET = D(2021, 9, 30)
SEEDS = range(8)


def _covered(truth: dt.date | None, quantile: dt.date | None) -> bool:
    return quantile is None or (truth is not None and truth <= quantile)


def evaluate() -> np.ndarray:
    """Rows (P50 covers, P80 covers, P(done by target), plan says done, done by target)."""
    rows = []
    for seed in SEEDS:
        world = build_world(seed, 300)
        rng = np.random.default_rng(1000 + seed)
        cutoff = {n.slug: CUTOFFS[int(rng.integers(len(CUTOFFS)))] for n in world}
        truth = {n.slug: INDEX.date_at(n.completion) if n.completion is not None else None for n in world}
        for day in CUTOFFS:
            histories = histories_at(world, day)
            chosen = {h.slug for h in histories if cutoff[h.slug] == day}
            for result in forecast(histories, ForecastOptions(day, seed=seed, draws=1000), only=chosen):
                if result.done:
                    continue
                real = truth[result.slug]
                done = real is not None and real <= TARGET
                rows.append((_covered(real, result.p50), _covered(real, result.p80), result.p_done,
                             float(result.plan_done), float(done)))
    return np.array(rows, dtype=float)


def test_p80_covers_80_and_p50_half_of_true_completions_and_brier_beats_the_plan() -> None:
    rows = evaluate()
    n = len(rows)
    p50, p80 = rows[:, 0].mean(), rows[:, 1].mean()
    brier = (rows[:, 2] - rows[:, 4]) ** 2
    plan = (rows[:, 3] - rows[:, 4]) ** 2
    print(f"\ncalibration over {n} independent networks ({len(SEEDS)} seeds, one cut-off each):")
    print(f"  P50 coverage {p50:.3f} ± {np.sqrt(p50 * (1 - p50) / n):.3f}")
    print(f"  P80 coverage {p80:.3f} ± {np.sqrt(p80 * (1 - p80) / n):.3f}")
    print(f"  Brier (done by {TARGET}) Monte Carlo {brier.mean():.4f} ± {brier.std() / np.sqrt(n):.4f}, "
          f"plan tier {plan.mean():.4f} ± {plan.std() / np.sqrt(n):.4f}, ratio {brier.mean() / plan.mean():.3f}")
    assert n >= 1000
    assert 0.75 <= p80 <= 0.85
    assert 0.45 <= p50 <= 0.55
    assert brier.mean() <= 0.9 * plan.mean()
