"""Template stage name → its flow (run name ``<stage> · <network>``, tags as in ``flows.stage``).

The Saxon stages have a module each (deployment entrypoints ``verbund.flows.analysis:analysis`` …).
Every other template's stages get a flow of their own name from ``stage_flow``, made once and
kept here, so a stage flow is found by the template's stage name whatever the template. A name no
bundled template declares is refused (``TemplateError`` naming it and the known stages).
"""

from __future__ import annotations

from typing import Any

from prefect import Flow

from verbund.domain.errors import TemplateError
from verbund.domain.process import all_templates
from verbund.flows.analysis import analysis
from verbund.flows.consultation import consultation
from verbund.flows.goals import goals
from verbund.flows.potentials import potentials
from verbund.flows.protocol import protocol
from verbund.flows.stage import stage_flow

STAGE_FLOWS: dict[str, Flow[..., Any]] = {
    "analysis": analysis,
    "potentials": potentials,
    "goals": goals,
    "consultation": consultation,
    "protocol": protocol,
}


def template_stage_names() -> dict[str, list[str]]:
    """Stage name → the templates that declare it."""
    names: dict[str, list[str]] = {}
    for template in all_templates():
        for stage in template.stages:
            names.setdefault(stage.name, []).append(template.key)
    return names


def flow_for(stage: str) -> Flow[..., Any]:
    """The flow of a template stage (one flow per stage name, shared by templates that use it)."""
    if stage not in STAGE_FLOWS:
        known = template_stage_names()
        if stage not in known:
            raise TemplateError(f"keine Vorlage hat die Stufe '{stage}' (Stufen: {', '.join(sorted(known))})")
        STAGE_FLOWS[stage] = stage_flow(stage)
    return STAGE_FLOWS[stage]


def all_stage_flows() -> dict[str, Flow[..., Any]]:
    """The flows of every stage of every bundled template (e.g. for deployments)."""
    return {name: flow_for(name) for name in template_stage_names()}
