"""Stage durations (business days) as a Kaplan–Meier estimate with an exponential tail. Pure.

Completed stages are events at their duration; stages still open (or waived while open) are
censored: they lasted *at least* as long as they have run. The estimate ``S(t) = P(D > t)`` is a
step function over the event times. Sampling the open stage of a network draws from
``P(D | D > spent)``: only durations longer than the time already spent.

Beyond the last event time the estimate says nothing. There the duration is extrapolated with a
constant hazard fitted to the upper quarter of the data (events above the 75th percentile divided
by the business days all observations spent above it, the censoring-aware maximum-likelihood rate).
Some occurrences never finish (stalls): their share π is the share of observations still running
beyond the longest completed one, and an occurrence that has run ``s`` days stalls with
probability π / (π + (1 − π)·S(s)); a stall is drawn as ``NEVER``. ``beyond_observations`` says
when a stage's time spent exceeds every completed observation (the tail is extrapolated).

Without enough observations the template's nominal duration is the prior: a lognormal with that
median and ``PRIOR_SIGMA``, represented by ``PRIOR_POINTS`` quantiles as if they were observations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

PRIOR_SIGMA = 0.5
PRIOR_POINTS = 200
TAIL_QUANTILE = 0.75
NEVER = 10**9  # a stalled occurrence: no finish within any horizon

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Survival:
    """A fitted duration distribution: ``surv[i] = S(times[i])``, the tail's hazard per business day."""

    times: IntArray
    surv: npt.NDArray[np.float64]
    tail_rate: float
    longest_completed: int
    stall_share: float = 0.0  # π: the share of occurrences that stall (never finish)

    def at(self, spent: int) -> float:
        """``S(spent) = P(D > spent)``; 1 before the first event."""
        index = int(np.searchsorted(self.times, spent, side="right")) - 1
        return 1.0 if index < 0 else float(self.surv[index])

    def normal_at(self, spent: int) -> float:
        """``S(spent)`` of the finishing part, extrapolated with the tail beyond the last event."""
        if len(self.times) == 0 or spent <= int(self.times[-1]):
            return self.at(spent)
        return float(self.surv[-1]) * float(np.exp(-self.tail_rate * (spent - int(self.times[-1]))))

    def stalled_given(self, spent: int) -> float:
        """P(the occurrence stalls | it has run ``spent`` business days): π / (π + (1 − π)·S(spent))."""
        if self.stall_share <= 0.0:
            return 0.0
        finishing = (1.0 - self.stall_share) * self.normal_at(max(spent, -1))
        return self.stall_share / (self.stall_share + finishing)

    def sample(self, spent: int, rng: np.random.Generator, size: int) -> IntArray:
        """``size`` durations longer than ``spent`` (``spent < 0``: any duration ≥ 0); ``NEVER`` for a stall."""
        uniform = rng.random(size)
        extra = rng.standard_exponential(size)
        stalls = rng.random(size) < self.stalled_given(spent)
        floor = max(spent, -1)
        level = self.at(floor) * (1.0 - uniform)
        index = np.searchsorted(-self.surv, -level, side="left")
        inside = index < len(self.times)
        picked = self.times[np.minimum(index, len(self.times) - 1)] if len(self.times) else np.zeros(size, np.int64)
        inside &= picked > floor
        start = max(floor, int(self.times[-1]) if len(self.times) else 0)
        tail = start + 1 + np.floor(extra / self.tail_rate).astype(np.int64)
        durations = np.where(inside, picked, np.minimum(tail, NEVER))
        return np.where(stalls, NEVER, durations).astype(np.int64)

    def beyond_observations(self, spent: int) -> bool:
        """Whether ``spent`` exceeds every completed observation (the tail is extrapolated)."""
        return spent > self.longest_completed


def kaplan_meier(durations: IntArray, completed: npt.NDArray[np.bool_], *, stall_model: bool = True) -> Survival:
    """The estimate from durations (business days) and whether each one ended (else censored)."""
    durations = np.asarray(durations, dtype=np.int64)
    completed = np.asarray(completed, dtype=bool)
    ordered = np.sort(durations)
    events = np.sort(durations[completed])
    times, deaths = np.unique(events, return_counts=True)
    at_risk = len(ordered) - np.searchsorted(ordered, times, side="left")
    surv = np.cumprod(1.0 - deaths / at_risk).astype(np.float64)
    longest = int(events[-1]) if len(events) else 0
    stalled = int(np.count_nonzero(~completed & (durations > longest)))
    share = stalled / len(durations) if stall_model and len(durations) else 0.0
    return Survival(times.astype(np.int64), surv, _tail_rate(durations, completed, events), longest, share)


def _tail_rate(durations: IntArray, completed: npt.NDArray[np.bool_], events: IntArray) -> float:
    threshold = float(np.quantile(events, TAIL_QUANTILE)) if len(events) else 0.0
    above = durations > threshold
    exposure = float(np.sum(durations[above] - threshold))
    upper_events = int(np.count_nonzero(above & completed))
    return max(upper_events, 0.5) / max(exposure, 1.0)


@lru_cache(maxsize=256)
def prior(nominal: int) -> Survival:
    """The nominal duration as a lognormal prior (median ``nominal``, sigma ``PRIOR_SIGMA``)."""
    normal = NormalDist()
    points = [nominal * np.exp(PRIOR_SIGMA * normal.inv_cdf((i + 0.5) / PRIOR_POINTS)) for i in range(PRIOR_POINTS)]
    durations = np.rint(np.array(points)).astype(np.int64)
    return kaplan_meier(durations, np.ones(len(durations), dtype=bool), stall_model=False)
