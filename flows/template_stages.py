"""Deployment entrypoints for every template stage that has no module of its own.

The Saxon stages live in ``flows/analysis.py`` … ; the stages of the other templates (NRW, Hessen,
Kommunale Koordinierung) are made by ``flows.stage.stage_flow`` from the template data. A deployment
names its flow by ``module:attribute``, so this module binds each of those flows to an attribute: the
stage name with ``-`` as ``_`` (``interne-leistungen`` → ``interne_leistungen``). The flow's own name
stays the stage name, which ``run_deployment("<stage>/verbund")`` uses.

Written out, not generated at import, so that readers and mypy see every entrypoint. A test fails when
a template gains a stage that is missing here (``tests/integration/test_deployment_specs.py``).
"""

from __future__ import annotations

from verbund.flows.registry import flow_for


def attribute(stage: str) -> str:
    """The module attribute that holds a stage's flow."""
    return stage.replace("-", "_")


verbund = flow_for("verbund")
unterstuetzung = flow_for("unterstuetzung")
schulaufsicht = flow_for("schulaufsicht")
service = flow_for("service")
interne_leistungen = flow_for("interne-leistungen")
gemeinsame_ziele = flow_for("gemeinsame-ziele")
partner = flow_for("partner")
steuerungsgruppe = flow_for("steuerungsgruppe")
vereinbarung = flow_for("vereinbarung")
umsetzung = flow_for("umsetzung")
kooperationsvertrag = flow_for("kooperationsvertrag")
lenkungskreis = flow_for("lenkungskreis")
handlungsfelder = flow_for("handlungsfelder")
arbeitsplan = flow_for("arbeitsplan")
bildungskonferenz = flow_for("bildungskonferenz")
bezirksbericht = flow_for("bezirksbericht")
