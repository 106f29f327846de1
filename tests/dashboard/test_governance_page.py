"""The network page shows an NRW network's governance (issue 5): agreements, consensus decisions with
each member's vote and reason, the responsibility that applies, documented steps — read-only, to
those who may read the network; others get 404."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterator
from html import unescape

import pytest
from dashboard_world import PASSWORD, login
from tests_governance import NRW, day, open_handlungsfelder

with warnings.catch_warnings():  # starlette 1.x asks for httpx2 at import; the client works with httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from verbund.dashboard import create_app
from verbund.services.access.users import add_user
from verbund.services.app.bootstrap import App
from verbund.services.governance.votes import cast_vote, open_decision

BB = "bb@example.org"
USERS = {
    "po_lindenau": ("po-lindenau@example.org", "process_owner", "nw-kreis-lindenau", None),
    "po_nrw": ("po-nrw@example.org", "process_owner", "NW", None),
    "coordinator_lindenau": ("koord-lindenau@example.org", "coordinator", None, NRW),
    "coordinator_muehlenbach": ("koord-muehlenbach@example.org", "coordinator", None, "rbn-muehlenbach"),
    "po_sachsen": ("po-sachsen@example.org", "process_owner", "SN", None),
}


@pytest.fixture
def governed(app: App) -> Iterator[TestClient]:
    """rbn-lindenau: Kooperationsvertrag signed, Lenkungskreis constituted; one decision not agreed (an
    objection), one adopted with a reservation, one still open."""
    open_handlungsfelder(app)
    open_decision(app, NRW, "handlungsfelder", title="Handlungsfeld Ganztag", proposed="Regionales Bildungsbüro",
                  previous="dem Schulträger", by=BB, at=day(4))
    cast_vote(app, NRW, "Handlungsfeld Ganztag", member="obere Schulaufsicht", vote="consent",
              reason="Bedarf belegt", by=BB, at=day(4) + dt.timedelta(hours=1))
    cast_vote(app, NRW, "Handlungsfeld Ganztag", member="Schulverwaltungsamt", vote="objection",
              reason="Finanzierung ungeklärt", by=BB, at=day(4) + dt.timedelta(hours=2))
    open_decision(app, NRW, "handlungsfelder", title="Handlungsfeld Inklusion", proposed="Bildungsbüro",
                  previous="der unteren Schulaufsicht", by=BB, at=day(5))
    for member, vote in (("obere Schulaufsicht", "consent"), ("untere Schulaufsicht", "reservation"),
                         ("Schulverwaltungsamt", "consent"), ("Jugendamt", "consent")):
        cast_vote(app, NRW, "Handlungsfeld Inklusion", member=member, vote=vote,
                  reason="Personal knapp" if vote == "reservation" else None, by=BB, at=day(5))
    open_decision(app, NRW, "handlungsfelder", title="Handlungsfeld Übergang Schule–Beruf", proposed="Jugendamt",
                  previous="der Kommune", by=BB, at=day(6))
    cast_vote(app, NRW, "Handlungsfeld Übergang Schule–Beruf", member="Jugendamt", vote="consent", by=BB, at=day(6))
    for email, role, region, network in USERS.values():
        add_user(app, email=email, role=role, password=PASSWORD, region=region, network=network)
    with TestClient(create_app(app), base_url="http://testserver") as client:
        yield client


def _rows(html: str, title: str) -> str:
    """The part of the page that shows the decision ``title``."""
    start = html.index(f'data-decision="{title}"')
    end = html.find('class="decision"', start)
    return html[start:end if end > 0 else len(html)]


def test_the_network_page_shows_votes_reasons_and_the_responsibility_that_applies(governed: TestClient) -> None:
    login(governed, USERS["po_lindenau"][0])
    page = governed.get(f"/verbund/{NRW}")
    assert page.status_code == 200
    html = unescape(page.text)
    assert "Vereinbarungen, Beschlüsse und Schritte" in html

    refused = _rows(html, "Handlungsfeld Ganztag")
    assert 'data-status="not_agreed"' in refused and "nicht beschlossen" in refused
    assert "Bezirksregierung Musterberg, Regionalkoordination (obere Schulaufsicht) für Lindenau</td><td>Zustimmung" \
        "</td><td>Bedarf belegt" in refused
    assert "Kreis Lindenau, Schulverwaltungsamt</td><td>Einwand</td><td>Finanzierung ungeklärt" in refused
    assert "Zuständig: <strong>dem Schulträger</strong>" in refused, "not adopted: the previous responsibility stays"
    assert "bisherige Zuständigkeit bleibt; vorgeschlagen war Regionales Bildungsbüro" in refused

    adopted = _rows(html, "Handlungsfeld Inklusion")
    assert 'data-status="adopted"' in adopted and "im Konsens beschlossen, mit Vorbehalt von" in adopted
    assert "Zuständig: <strong>Bildungsbüro</strong>" in adopted
    assert "Vorbehalt</td><td>Personal knapp" in adopted
    assert adopted.count('data-vote="') == 4

    pending = _rows(html, "Handlungsfeld Übergang Schule–Beruf")
    assert 'data-status="open"' in pending and pending.count('<td class="muted">ausstehend</td>') == 3
    assert "Zuständig: <strong>der Kommune</strong>" in pending

    agreement = html[html.index('data-agreement="Kooperationsvertrag"'):]
    assert f"unterzeichnet am {day(1).date():%d.%m.%Y}" in agreement and "Handlungsfelder: Inklusion" in agreement
    assert "Kreis Lindenau, Schulverwaltungsamt" in agreement.split("</p>")[1]
    assert "<td>Lenkungskreis" in html and "<td>constituted</td>" in html


@pytest.mark.parametrize("user", ["po_nrw", "coordinator_lindenau"])
def test_everyone_who_reads_the_network_sees_its_governance(governed: TestClient, user: str) -> None:
    login(governed, USERS[user][0])
    page = governed.get(f"/verbund/{NRW}")
    assert page.status_code == 200
    assert "Finanzierung ungeklärt" in page.text


@pytest.mark.parametrize("user", ["coordinator_muehlenbach", "po_sachsen"])
def test_a_user_without_access_to_the_network_gets_404_and_no_votes(governed: TestClient, user: str) -> None:
    login(governed, USERS[user][0])
    page = governed.get(f"/verbund/{NRW}")
    assert page.status_code == 404
    assert "Finanzierung ungeklärt" not in page.text and "Handlungsfeld" not in page.text
    api = governed.get(f"/api/networks/{NRW}")
    assert api.status_code == 404 and "Finanzierung" not in api.text


def test_a_coordinator_votes_in_the_page_and_an_objection_keeps_the_previous_responsibility(
        governed: TestClient, app: App) -> None:
    """The forms (issue 13) call the same use cases as ``verbund decision vote``."""
    app.clock.set(day(7))  # type: ignore[attr-defined]
    csrf = login(governed, USERS["coordinator_lindenau"][0])
    html = unescape(governed.get(f"/verbund/{NRW}").text)
    section = html[html.index('<section id="steuerung">'):html.index('<section id="nachrichten">')]
    assert 'action="/verbund/rbn-lindenau/aktion/stimme"' in section
    decision = re.search(r'<option value="([0-9a-f-]{36})">Handlungsfeld Übergang Schule–Beruf</option>', section)
    member = re.search(r'<option value="([0-9a-f-]{36})">Kreis Lindenau, Schulverwaltungsamt</option>', section)
    assert decision and member
    done = governed.post(f"/verbund/{NRW}/aktion/stimme", data={
        "csrf": csrf, "decision": decision[1], "member": member[1], "vote": "objection",
        "reason": "Zuständigkeit beim Kreis belassen"}, follow_redirects=False)
    assert done.status_code == 303 and "meldung=" in done.headers["location"]
    rows = _rows(unescape(governed.get(f"/verbund/{NRW}").text), "Handlungsfeld Übergang Schule–Beruf")
    assert 'data-status="not_agreed"' in rows and "Zuständigkeit beim Kreis belassen" in rows
    assert "Zuständig: <strong>der Kommune</strong>" in rows
    again = governed.post(f"/verbund/{NRW}/aktion/stimme", data={
        "csrf": csrf, "decision": decision[1], "member": member[1], "vote": "consent"}, follow_redirects=False)
    assert "fehler=" in again.headers["location"]  # a decided decision takes no further vote


def test_the_ministry_reads_governance_without_forms(governed: TestClient, app: App) -> None:
    add_user(app, email="ministerium@example.org", role="ministry", password=PASSWORD)
    login(governed, "ministerium@example.org")
    html = governed.get(f"/verbund/{NRW}").text
    section = html[html.index('<section id="steuerung">'):html.index('<section id="nachrichten">')]
    assert "Finanzierung ungeklärt" in section and "<form" not in section
