"""Every date field of the dashboard's forms, fuzzed (issue 16): never an HTTP 500; a refusal is a
German message naming the field (goal's Zieldatum, consultation's Beginn, deadline's Neue Frist,
agreement's Unterzeichnet am, the stand-in's Vertretung bis)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from dashboard_world import World, login
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DATES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["2021-02-30", "30.02.2021", "31.04.2026 10:00", "2026-13-01", "16.12.2026 24:00",
                     "0000-01-01", "9999-12-31T23:59+14:00", "1.1.1", "2026-02-29"]),
    st.from_regex(r"[0-3]?\d\.[01]?\d\.(19|20|99)\d\d( [0-2]\d:[0-5]\d)?", fullmatch=True),
)
# (who, action, the date field, its label, other fields)
FORMS = [
    ("coordinator", "ziel", "target_date", "Zieldatum", {"title": "Ziel", "potential": "x"}),
    ("coordinator", "beratung-ansetzen", "starts_at", "Beginn", {"place": "Rathaus"}),
    ("po_region", "frist-verlaengern", "until", "Neue Frist", {"stage": "analysis", "reason": "Ferien"}),
    ("coordinator", "vereinbarung", "signed_on", "Unterzeichnet am", {"title": "Vertrag", "parties": "x"}),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(value=DATES, which=st.integers(min_value=0, max_value=len(FORMS)))
def test_a_fuzzed_date_in_any_form_never_gives_a_500(world: World, client: Any, value: str, which: int) -> None:
    network = world.own[0]
    if which == len(FORMS):
        csrf = login(client, world.users["coordinator"])
        response = client.post("/konto/vertretung", data={"csrf": csrf, "email": world.users["coordinator_other"],
                                                          "until": value}, follow_redirects=False)
        label = "Vertretung bis"
    else:
        who, action, field, label, others = FORMS[which]
        csrf = login(client, world.users[who])
        response = client.post(f"/verbund/{network}/aktion/{action}",
                               data={"csrf": csrf, field: value, **others}, follow_redirects=False)
    if "\x00" in value:  # refused for every form and backend alike, before any field is read (issue 15)
        assert response.status_code == 400 and "NUL-Zeichen" in response.text
        return
    assert response.status_code == 303, (value, response.status_code, response.text[:300])
    error = parse_qs(urlparse(response.headers["location"]).query).get("fehler", [""])[0]
    if "ist kein gültiges Datum" in error:
        assert error.startswith(label + ":") and "TT.MM.JJJJ" in error and "\n" not in error
