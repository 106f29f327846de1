"""The network page's message list: newest first, a page at a time, filtered by kind and status, with
counts; bad filter values give the unfiltered page and a German note, never a 500 (issue 20)."""

from __future__ import annotations

import re

import pytest
from dashboard_world import World, login
from fastapi.testclient import TestClient
from message_world import KINDS, STATUSES, add_messages

COUNT = 45  # three pages of 20


@pytest.fixture
def signed_in(world: World, client: TestClient) -> TestClient:
    add_messages(world, world.own[0], COUNT)
    login(client, world.users["po_land"])
    return client


def _rows(html: str) -> list[list[str]]:
    section = html.split('id="nachrichten"')[1].split("</section>")[0]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr><td>.*?</tr>", section, re.S)]


def _heading(html: str) -> str:
    return re.search(r'<h2 id="nachrichten-titel">(.*?)</h2>', html).group(1)  # type: ignore[union-attr]


def test_the_first_page_shows_the_newest_twenty_of_all_with_the_count(world: World, signed_in: TestClient) -> None:
    html = signed_in.get(f"/verbund/{world.own[0]}").text
    assert f"Nachrichten ({COUNT})" in _heading(html)
    rows = _rows(html)
    assert len(rows) == 20
    sent = [row[5] for row in rows if row[5]]
    assert sent == sorted(sent, reverse=True) and sent  # newest first (same-day times: the text sorts)
    assert "Seite 1 von 3" in html and "seite=2#nachrichten" in html and "alle=1" in html
    assert html.index('id="auf-einen-blick"') < html.index('id="stufen"') < html.index('id="nachrichten"')


def test_paging_filters_and_the_full_listing(world: World, signed_in: TestClient) -> None:
    slug = world.own[0]
    last = signed_in.get(f"/verbund/{slug}?seite=3").text
    assert len(_rows(last)) == COUNT - 40 and "Seite 3 von 3" in last
    failed = signed_in.get(f"/verbund/{slug}?status=failed").text
    expected = sum(1 for i in range(COUNT) if STATUSES[i % len(STATUSES)] == "failed")
    assert f"Nachrichten ({expected} gefiltert)" in _heading(failed)
    assert {row[3] for row in _rows(failed)} == {"fehlgeschlagen"}
    both = signed_in.get(f"/verbund/{slug}?art=reminder&status=sent").text
    expected = sum(1 for i in range(COUNT) if KINDS[i % len(KINDS)] == "reminder"
                   and STATUSES[i % len(STATUSES)] == "sent")
    assert f"Nachrichten ({expected} gefiltert)" in _heading(both)
    assert {(row[0], row[3]) for row in _rows(both)} == {("Erinnerung", "gesendet")}
    everything = signed_in.get(f"/verbund/{slug}?alle=1").text
    assert len(_rows(everything)) == COUNT


@pytest.mark.parametrize("query", ["art=spam", "status=%3Cscript%3E", "seite=-1", "seite=abc", "seite=999999999999",
                                   "art=reminder&status=nope&seite=0"])
def test_bad_values_give_the_unfiltered_page_with_a_german_note(world: World, signed_in: TestClient,
                                                                 query: str) -> None:
    response = signed_in.get(f"/verbund/{world.own[0]}?{query}")
    assert response.status_code == 200
    notes = re.findall(r'<p class="note" role="status">(.*?)</p>', response.text)
    assert notes and all(("Filter" in note or "Seite" in note) and "gezeigt" in note for note in notes)
    assert "<script>" not in response.text.split('id="nachrichten"')[1]
    assert _rows(response.text)


def test_a_page_past_the_end_shows_the_last_page(world: World, signed_in: TestClient) -> None:
    html = signed_in.get(f"/verbund/{world.own[0]}?seite=50").text
    assert "Seite 3 von 3" in html and len(_rows(html)) == COUNT - 40


def test_the_json_api_keeps_the_latest_messages_and_adds_the_counts(world: World, signed_in: TestClient) -> None:
    body = signed_in.get(f"/api/networks/{world.own[0]}").json()
    assert len(body["messages"]) == COUNT
    assert body["message_list"]["total"] == COUNT
    assert sum(body["message_list"]["by_status"].values()) == COUNT
    assert body["glance"]["open"] and body["glance"]["open"][0]["name"] == "analysis"
