"""Deployment entrypoints for every template stage that has no module of its own.

The Saxon stages live in ``flows/analysis.py`` … ; the stages of the other templates (NRW, Hessen,
Kommunale Koordinierung) are made by ``flows.stage.stage_flow`` from the template data. A
deployment names its flow by ``file:attribute``, so this module binds each of those flows to an
attribute: the stage name with ``-`` as ``_`` (``interne-leistungen`` → ``interne_leistungen``).
The flow's own name stays the stage name, which ``run_deployment("<stage>/verbund")`` uses.
"""

from __future__ import annotations

from typing import Any

from prefect import Flow

from flows.registry import all_stage_flows


def attribute(stage: str) -> str:
    """The module attribute that holds a stage's flow."""
    return stage.replace("-", "_")


FLOWS: dict[str, Flow[..., Any]] = {attribute(stage): flow for stage, flow in all_stage_flows().items()}
globals().update(FLOWS)
