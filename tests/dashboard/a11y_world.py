"""A dashboard world with every stage state (pending, open, ready, completed, waived, overdue) and a
real uvicorn server for browser tests (accessibility sweep, keyboard test)."""

from __future__ import annotations

import datetime as dt

from dashboard_world import World

from verbund.services.app.bootstrap import App
from verbund.services.app.clock import ManualClock
from verbund.services.app.lookup import network_by_slug
from verbund.services.directory.setup import OrganisationSpec, add_member, upsert_organisation
from verbund.services.inputs.work import (
    AnalysisInput,
    PotentialInput,
    organisation_ids,
    record_analysis,
    record_potentials,
)
from verbund.services.stages.lifecycle import advance_stage, reconcile_stage, waive_stage

CATEGORIES = ("conditions", "actors", "responsibilities", "cooperation_structures")
AREAS = ("communication", "special_offers", "process_steering")


def answer_analysis(app: App, slug: str) -> None:
    """The required partners join the network and every member answers every category."""
    with app.uow(write=True) as uow:
        network = network_by_slug(uow.session, slug)
        for kind, name in (("school_board", "Schulträger"), ("youth_welfare", "Jugendamt"),
                           ("social_welfare", "Sozialamt"), ("student_transport", "Schülerbeförderung")):
            org = upsert_organisation(uow.session, None, OrganisationSpec("test", f"{slug}-{kind}",
                                                                          f"{name} {slug}", kind))
            uow.session.flush()
            add_member(uow.session, network, org, "member", app.now(), "test")
        uow.commit()
    members = organisation_ids(app, slug).values()
    record_analysis(app, slug, [AnalysisInput(str(oid), c, "liegt vor") for oid in members for c in CATEGORIES],
                    by="test")


def every_state(world: World, clock: ManualClock) -> dict[str, tuple[str, str]]:
    """Bring the world's networks into every stage state; returns state → (network, stage)."""
    app, po = world.app, world.users["po_land"]
    answer_analysis(app, world.other)
    reconcile_stage(app, world.other, "analysis")  # → ready (sign-off)
    advance_stage(app, world.other, "analysis", by=po)  # → completed
    reconcile_stage(app, world.other, "potentials")  # → open
    oid = str(next(iter(organisation_ids(app, world.other).values())))
    record_potentials(app, world.other, [PotentialInput(a, f"Potenzial {i}", "Text", [oid])
                                         for i, a in enumerate(AREAS)], by="test")
    reconcile_stage(app, world.other, "potentials")  # → completed, goals open
    answer_analysis(app, world.foreign)
    reconcile_stage(app, world.foreign, "analysis")  # → ready
    clock.advance(dt.timedelta(days=120))  # the own networks' analysis is overdue now
    waive_stage(app, world.own[0], "analysis", reason="Analyse liegt aus dem Vorjahr vor", by=po)
    reconcile_stage(app, world.own[0], "potentials")  # → open, not overdue
    return {"completed": (world.other, "analysis"), "open": (world.own[0], "potentials"),
            "ready": (world.foreign, "analysis"), "waived": (world.own[0], "analysis"),
            "overdue": (world.own[1], "analysis"), "pending": (world.own[1], "goals")}


