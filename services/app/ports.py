"""Ports the service layer needs from the outside, with fakes.

``StageTrigger`` is how services reach flows: after a use case commits, it asks for the stage of
a network to be reconciled. The composition root wires an in-process flow call (embedded mode)
or a deployment run (Prefect server); services never import Prefect.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol


class StageTrigger(Protocol):
    def __call__(self, network: str, stage: str, at: dt.datetime) -> None: ...


class NoTrigger:
    """Triggers nothing: for set-up and for callers that reconcile themselves."""

    def __call__(self, network: str, stage: str, at: dt.datetime) -> None:
        return None


@dataclass
class RecordingTrigger:
    """Fake: remembers every trigger."""

    calls: list[tuple[str, str, dt.datetime]] = field(default_factory=list)

    def __call__(self, network: str, stage: str, at: dt.datetime) -> None:
        self.calls.append((network, stage, at))
