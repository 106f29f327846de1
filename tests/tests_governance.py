"""Shared set-up for the governance tests: the NRW sample up to the open Handlungsfelder stage."""

from __future__ import annotations

import datetime as dt

from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample_templates import build_template_sample
from verbund.services.governance.records import record_agreement, record_step
from verbund.services.governance.votes import member_ids
from verbund.services.stages.lifecycle import advance_stage, reconcile_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
NRW = "rbn-lindenau"
PO = "po@example.org"


def day(n: int) -> dt.datetime:
    return START + dt.timedelta(days=n)


def open_handlungsfelder(app: App) -> None:
    """Sample networks; rbn-lindenau's Kooperationsvertrag and Lenkungskreis done, Handlungsfelder open."""
    build_template_sample(app, "nrw-bildungsnetzwerk", at=START)
    reconcile_stage(app, NRW, "kooperationsvertrag", day(0))
    parties = member_ids(app, NRW, ["obere Schulaufsicht", "Schulverwaltungsamt"], at=day(1))
    record_agreement(app, NRW, title="Kooperationsvertrag", parties=parties, signed_on=day(1).date(),
                     fields_of_action=["Inklusion"], by="bb@example.org", at=day(1))
    reconcile_stage(app, NRW, "kooperationsvertrag", day(1))
    advance_stage(app, NRW, "kooperationsvertrag", by=PO, at=day(2))
    reconcile_stage(app, NRW, "lenkungskreis", day(2))
    record_step(app, NRW, "lenkungskreis", "constituted", by="bb@example.org", at=day(3))
    reconcile_stage(app, NRW, "lenkungskreis", day(3))
    assert reconcile_stage(app, NRW, "handlungsfelder", day(3)).state == "open"
