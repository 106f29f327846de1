"""Privacy in the dashboard: a minted partner link is shown once on the page, never in a URL."""

from __future__ import annotations

from typing import Any

from dashboard_world import World, login


def test_a_minted_partner_link_is_shown_on_the_page_and_never_in_a_redirect(world: World, client: Any) -> None:
    csrf = login(client, world.users["coordinator"])
    network = world.own[0]
    contact = world.contact_of(network)
    response = client.post(f"/verbund/{network}/aktion/partnerlink",
                           data={"csrf": csrf, "contact_id": str(contact), "stage": "analysis"},
                           follow_redirects=False)
    assert response.status_code == 200 and "location" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert f"/eingabe/{network}/analysis?t=" in response.text
    assert "?t=" not in str(response.url)


def test_the_privacy_notice_is_public_linked_from_every_page_and_the_operator_s_text_replaces_it(
        world: World, client: Any, tmp_path: Any) -> None:
    from verbund.dashboard.web import use_operator_texts
    from verbund.services.inputs.links import sign

    page = client.get("/datenschutz", follow_redirects=False)
    assert page.status_code == 200 and "Art. 17 Abs. 3" in page.text and "90" in page.text
    network = world.own[0]
    token = sign(world.app, world.contact_of(network), network, "analysis", "analysis")
    for path in ("/login", f"/eingabe/{network}/analysis?t={token}"):
        assert 'href="/datenschutz"' in client.get(path).text, path
    (tmp_path / "datenschutz.html").write_text('{% extends "base.html" %}{% block main %}<h1>Datenschutz beim '
                                               'Landesamt Musterland</h1>{% endblock %}', encoding="utf-8")
    use_operator_texts(tmp_path)
    try:
        page = client.get("/datenschutz")
    finally:
        use_operator_texts(None)
    assert "Landesamt Musterland" in page.text and "Standardtext" not in page.text
