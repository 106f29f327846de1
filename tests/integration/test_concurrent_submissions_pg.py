"""Two identical submissions at the same moment on PostgreSQL, over HTTP to a real uvicorn server:
both get the normal answer or "bereits erfasst", never HTTP 500, and nothing is lost or stored twice.

The partner link's analysis form (an upsert on a unique constraint), its potential form (unique
title) and an objection (content dedup through a receipt in the database) are each posted by two
threads released together by a barrier, in several rounds with new content each time.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import col, func, select

from verbund.domain.models import Contact
from verbund.domain.work import AnalysisEntry, Potential, ProtocolObjection
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region
from verbund.services.inputs.links import STAGE_PURPOSE, sign
from verbund.services.inputs.protocol import circulate_protocol, draft_protocol
from verbund.services.inputs.work import organisation_ids

pytestmark = pytest.mark.postgres

SERVER = """
import sys, uvicorn
from verbund.dashboard import create_app
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings
app = bootstrap(Settings(database_url=sys.argv[1]), migrate_database=False)
uvicorn.run(create_app(app), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
ROUNDS = 6
ANSWERED = ("Vielen Dank", "bereits erfasst", "ist eingegangen", "ist gespeichert")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Link:
    network: str
    stage: str
    token: str
    csrf: str
    organisation_id: str

    @property
    def path(self) -> str:
        return f"/eingabe/{self.network}/{self.stage}"


def _link(app: App, network: str, stage: str) -> Link:
    from verbund.dashboard.web import partner_csrf

    org_id = str(next(iter(organisation_ids(app, network).values())))
    with app.uow() as uow:
        contact = uow.session.exec(select(Contact).where(col(Contact.organisation_id) == org_id)).first()
        assert contact is not None
    token = sign(app, contact.id, network, stage, STAGE_PURPOSE[stage])
    return Link(network, stage, token, partner_csrf(app, token), org_id)


@pytest.fixture
def world(pg_database_url: str) -> Iterator[tuple[App, dict[str, Link]]]:
    """Three networks of the sample on PostgreSQL: one in analysis, one in potentials, one with a
    circulated protocol draft (circulated now, so the objection period runs)."""
    from tests_support_stages import open_stage

    app = bootstrap(Settings(database_url=pg_database_url))
    networks = build_sample_region(app, at=START).networks
    now = app.now()
    open_stage(app, networks[0], "analysis", START)
    open_stage(app, networks[1], "potentials", now)
    open_stage(app, networks[2], "protocol", now)
    draft_protocol(app, networks[2], body="Protokoll der Beratung.", by="koordination", at=now)
    circulate_protocol(app, networks[2], objection_business_days=10, by="koordination", at=now)
    links = {"analysis": _link(app, networks[0], "analysis"), "potentials": _link(app, networks[1], "potentials"),
             "protocol": _link(app, networks[2], "protocol")}
    yield app, links
    app.engine.dispose()


@pytest.fixture
def server(world: tuple[App, dict[str, Link]], pg_database_url: str) -> Iterator[int]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, pg_database_url, str(port)], env={**os.environ},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300  # a busy CI machine: wait on the condition, generously
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "the dashboard did not answer /healthz"
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=60)


def _post(port: int, link: Link, data: dict[str, str]) -> tuple[int, str]:
    body = urllib.parse.urlencode({"t": link.token, "csrf": link.csrf, **data})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", link.path, body=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        answer = connection.getresponse()
        answer.read()
        where = urllib.parse.urlsplit(answer.getheader("Location") or "")
        query = urllib.parse.parse_qs(where.query)
        return answer.status, (query.get("meldung") or query.get("fehler") or [""])[0]
    finally:
        connection.close()


def _twins(port: int, link: Link, data: dict[str, str]) -> list[tuple[int, str]]:
    """The same form posted by two threads at the same moment."""
    gate = threading.Barrier(2)
    answers: list[tuple[int, str]] = []

    def one() -> None:
        gate.wait(timeout=60)
        answers.append(_post(port, link, data))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return answers


def _count(app: App, query: Any) -> int:
    with app.uow() as uow:
        return int(uow.session.exec(query).one())


def _assert_answered(answers: list[tuple[int, str]]) -> None:
    assert len(answers) == 2
    for status, message in answers:
        assert status == 303, (status, message)  # the form's normal answer: back to the page, never a 500
        assert any(word in message for word in ANSWERED), message


def test_identical_twin_submissions_get_the_normal_answer_and_store_everything_once(
    world: tuple[App, dict[str, Link]], server: int
) -> None:
    app, links = world
    for round_no in range(ROUNDS):
        text = f"Runde {round_no}: gemeinsame Förderplanung mit dem Jugendamt"
        analysis = {"was": "analyse", "text-conditions": text, "text-actors": f"{text} (Akteure)"}
        _assert_answered(_twins(server, links["analysis"], analysis))
        with app.uow() as uow:
            stored = dict(uow.session.exec(select(AnalysisEntry.category, AnalysisEntry.text).where(
                col(AnalysisEntry.organisation_id) == links["analysis"].organisation_id)).all())
        assert (stored["conditions"], stored["actors"]) == (text, f"{text} (Akteure)")  # no text lost

        title = f"Potenzial {round_no}: Fallberatung"
        potential = {"was": "potenzial", "area": "communication", "title": title, "description": text}
        _assert_answered(_twins(server, links["potentials"], potential))
        assert _count(app, select(func.count()).select_from(Potential).where(Potential.title == title)) == 1

        objection = {"was": "einspruch", "text": f"Einspruch {round_no}: Anwesenheit ergänzen"}
        answers = _twins(server, links["protocol"], objection)
        _assert_answered(answers)
        assert _count(app, select(func.count()).select_from(ProtocolObjection).where(
            ProtocolObjection.text == objection["text"])) == 1  # stored once, never lost
        assert sum("ist eingegangen" in message for _status, message in answers) == 1, answers
