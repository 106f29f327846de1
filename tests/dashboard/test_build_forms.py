"""The network and stage pages' forms of issue 13: a process owner extends a deadline on the stage
page (a coordinator has no such form and is refused), a coordinator sends an announcement to a
partner kind and cancels the consultation — each through the same use case as the CLI."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlparse

from dashboard_world import World, login


def _notice(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 303
    return parse_qs(urlparse(response.headers["location"]).query)


def test_a_process_owner_extends_a_deadline_on_the_stage_page(world: World, client: Any) -> None:
    network = world.own[0]
    login(client, world.users["coordinator"])
    assert "frist-verlaengern" not in client.get(f"/verbund/{network}/stufe/analysis").text
    csrf = login(client, world.users["po_region"])
    page = client.get(f"/verbund/{network}/stufe/analysis").text
    assert 'action="/verbund/' + network + '/aktion/frist-verlaengern"' in page
    due = dt.date.fromisoformat(client.get(f"/api/networks/{network}").json()["stages"][0]["due"])
    later = due + dt.timedelta(days=14)
    early = _notice(client.post(f"/verbund/{network}/aktion/frist-verlaengern", data={
        "csrf": csrf, "stage": "analysis", "until": due.isoformat(), "reason": "Ferien"}, follow_redirects=False))
    assert "liegt nicht nach der bisherigen Frist" in early["fehler"][0]
    done = _notice(client.post(f"/verbund/{network}/aktion/frist-verlaengern", data={
        "csrf": csrf, "stage": "analysis", "until": later.isoformat(), "reason": "Schulträger neu gewählt"},
        follow_redirects=False))
    assert done["meldung"] == [f"Frist von {due.isoformat()} auf {later.isoformat()} verlängert"]
    assert client.get(f"/api/networks/{network}").json()["stages"][0]["due"] == later.isoformat()
    shown = client.get(f"/verbund/{network}/stufe/analysis").text
    assert "Frist verlängert." in shown and "Schulträger neu gewählt" in shown


def test_a_coordinator_announces_to_a_partner_kind_and_cancels_the_consultation(world: World, client: Any) -> None:
    network = world.own[0]
    csrf = login(client, world.users["coordinator"])
    assert 'action="/verbund/' + network + '/aktion/mitteilung"' in client.get(f"/verbund/{network}").text
    done = _notice(client.post(f"/verbund/{network}/aktion/mitteilung", data={
        "csrf": csrf, "title": "Fahrpläne", "text": "Neue Fahrpläne ab Oktober.", "kind": "school_board"},
        follow_redirects=False))
    count = int(done["meldung"][0].removeprefix("Mitteilung an ").split()[0])
    assert count > 0 and f"({count} neu)" in done["meldung"][0]
    html = client.get(f"/verbund/{network}").text
    messages = html[html.index('<section id="nachrichten">'):]
    assert messages.count("Mitteilung") >= count, "the outbox rows of the announcement are listed on the page"
    none = _notice(client.post(f"/verbund/{network}/aktion/beratung-absagen", data={"csrf": csrf, "reason": "x"},
                               follow_redirects=False))
    assert "noch nicht eröffnet" in none["fehler"][0]  # input follows the stage: consultation is pending
