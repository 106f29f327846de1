"""Observed stage durations pooled by region, else by Land, else the template's nominal prior. Pure.

An observation is one stage occurrence of any network as of the forecast date: a completed stage
is an event at its duration, an open one is censored at the time it has run, a waived one counts
towards the stage's waiver share. A region's pool is used when it holds at least ``MIN_COMPLETED``
completed observations of the stage, else the Land's when it does, else the prior.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from verbund.domain.forecast.calendar_index import BusinessDayIndex
from verbund.domain.forecast.model import DONE, UNDER_WAY, Basis, NetworkHistory
from verbund.domain.forecast.survival import Survival, kaplan_meier, prior

MIN_COMPLETED = 5


@dataclass
class _Bucket:
    durations: list[int] = field(default_factory=list)
    completed: list[bool] = field(default_factory=list)
    waived: int = 0

    @property
    def events(self) -> int:
        return sum(self.completed)


@dataclass(frozen=True)
class Pool:
    """The distribution a stage's duration is drawn from, the waiver share and the basis."""

    survival: Survival
    p_waived: float
    basis: Basis


class Pools:
    """All observations as of ``as_of``, bucketed per (template, stage) by region and by Land."""

    def __init__(self, histories: list[NetworkHistory], indexes: dict[str, BusinessDayIndex], as_of: dt.date) -> None:
        self._buckets: dict[tuple[str, str, str, str], _Bucket] = defaultdict(_Bucket)
        self._fitted: dict[tuple[str, str, str, str], Pool] = {}
        for history in histories:
            index = indexes[history.land]
            now = index.position(as_of)
            for run in history.runs:
                keys = [(history.template.key, run.stage, "region", history.region),
                        (history.template.key, run.stage, "land", history.land)]
                for key in keys:
                    self._observe(self._buckets[key], run.state, run.opened, run.finished, index, now)

    @staticmethod
    def _observe(bucket: _Bucket, state: str, opened: dt.date | None, finished: dt.date | None,
                 index: BusinessDayIndex, now: int) -> None:
        if state == "waived":
            bucket.waived += 1
        elif state in DONE and opened is not None and finished is not None:
            bucket.durations.append(index.position(finished) - index.position(opened))
            bucket.completed.append(True)
        elif state in UNDER_WAY and opened is not None:
            bucket.durations.append(max(now - index.position(opened), 0))
            bucket.completed.append(False)

    def pool(self, template: str, stage: str, region: str, land: str, nominal: int) -> Pool:
        for level, value in (("region", region), ("land", land)):
            key = (template, stage, level, value)
            bucket = self._buckets.get(key)
            if bucket is not None and bucket.events >= MIN_COMPLETED:
                if key not in self._fitted:
                    self._fitted[key] = self._fit(bucket, level)
                return self._fitted[key]
        land_bucket = self._buckets.get((template, stage, "land", land), _Bucket())
        return Pool(prior(nominal), 0.0, Basis("prior", land_bucket.events, land_bucket.completed.count(False),
                                               land_bucket.waived))

    @staticmethod
    def _fit(bucket: _Bucket, level: str) -> Pool:
        survival = kaplan_meier(np.array(bucket.durations, dtype=np.int64), np.array(bucket.completed, dtype=bool))
        finished = bucket.events + bucket.waived
        return Pool(survival, bucket.waived / finished if finished else 0.0,
                    Basis(level, bucket.events, bucket.completed.count(False), bucket.waived))
