"""Concurrent submissions and transitions lose no update and never move a stage twice.

Runs on PostgreSQL (row locks, ``SELECT … FOR UPDATE``) and on SQLite (transactions that take the
write lock when they begin).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import func, select

from verbund.domain.errors import IllegalTransition
from verbund.domain.models import Membership, Network
from verbund.domain.stages import AuditEvent
from verbund.domain.work import AnalysisEntry
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.inputs.work import AnalysisInput, record_analysis
from verbund.services.stages.lifecycle import advance_stage, reconcile_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)  # the clock of the app fixture
CATEGORIES = ("conditions", "actors", "responsibilities", "cooperation_structures")


pytestmark = pytest.mark.sqlite_and_postgresql  # app: on SQLite and on PostgreSQL (tests/conftest.py)


@pytest.fixture
def shared_app(app: App) -> App:
    assert app.now() == START
    build_sample_region(app, at=START)
    return app


def _members(app: App, network: str) -> list[str]:
    with app.uow() as uow:
        rows = uow.session.exec(
            select(Membership.organisation_id)
            .join(Network, Network.id == Membership.network_id)  # type: ignore[arg-type]
            .where(Network.slug == network, Membership.role != "guest")
        ).all()
    return [str(row) for row in rows]


def _events(app: App, **where: str) -> int:
    with app.uow() as uow:
        query = select(func.count()).select_from(AuditEvent)
        for column, value in where.items():
            query = query.where(getattr(AuditEvent, column) == value)
        return int(uow.session.exec(query).one())


def test_fifty_parallel_submissions_and_transitions_lose_nothing_and_move_once(shared_app: App) -> None:
    app = shared_app
    ready_network, open_networks = "kv-auental-nord", ["kv-auental-sued", "kv-heidegrund-west", "kv-heidegrund-ost"]
    reconcile_stage(app, ready_network, "analysis", START)
    reconcile_stage(app, "kv-auental-sued", "analysis", START)  # input follows the stage: open it first
    at = START + dt.timedelta(days=5)
    record_analysis(app, ready_network, [AnalysisInput(o, c, text="erste Fassung") for o in _members(app, ready_network)
                                         for c in CATEGORIES], by="partner", at=at)
    assert reconcile_stage(app, ready_network, "analysis", at).state == "ready"

    # 20 submissions: distinct entries of another network, each a separate transaction
    submitter = _members(app, "kv-auental-sued")[:5]
    submissions = [(org, category) for org in submitter for category in CATEGORIES]
    later = at + dt.timedelta(hours=1)

    def submit(item: tuple[str, str]) -> str:
        org, category = item
        record_analysis(app, "kv-auental-sued", [AnalysisInput(org, category, text=f"{org}/{category}")],
                        by="partner", at=later)
        return "submitted"

    def sign_off(_: int) -> str:
        try:
            advance_stage(app, ready_network, "analysis", by="po@example.org", at=later)
            return "moved"
        except IllegalTransition:
            return "rejected"

    def open_stage(index: int) -> str:
        return reconcile_stage(app, open_networks[index % 3], "analysis", later).state

    jobs = ([(submit, item) for item in submissions] + [(sign_off, i) for i in range(15)]
            + [(open_stage, i) for i in range(15)])
    assert len(jobs) == 50
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = Counter(pool.map(lambda job: job[0](job[1]), jobs))  # type: ignore[operator]

    assert results["submitted"] == 20
    assert (results["moved"], results["rejected"]) == (1, 14)
    with app.uow() as uow:
        stored = {(str(e.organisation_id), e.category): e.text for e in uow.session.exec(select(AnalysisEntry))}
    assert all(stored[item] == f"{item[0]}/{item[1]}" for item in submissions)  # 0 lost updates
    assert _events(app, stage="analysis", to_state="completed") == 1
    assert _events(app, stage="analysis", from_state="pending", to_state="open") == 4  # once per network
