"""Consensus decisions taken vote by vote, members named by name, documented steps checked against
the template — through the real service layer on SQLite (triggers recorded, not run)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, select
from tests_governance import NRW, day, open_handlungsfelder

from verbund.domain.errors import InvalidInput
from verbund.domain.governance import Decision, DecisionVote
from verbund.domain.stages import AuditEvent
from verbund.services.app.bootstrap import App
from verbund.services.app.ports import RecordingTrigger
from verbund.services.governance.records import record_step
from verbund.services.governance.votes import cast_vote, member_ids, open_decision, show_decision
from verbund.services.stages.lifecycle import reconcile_stage

OBERE = "obere Schulaufsicht"
UNTERE = "untere Schulaufsicht"
KOMMUNE = "Schulverwaltungsamt"
JUGENDAMT = "Jugendamt"
VOTERS = (OBERE, UNTERE, KOMMUNE, JUGENDAMT)


@pytest.fixture
def fields_open(app: App) -> None:
    """rbn-lindenau with Kooperationsvertrag and Lenkungskreis done, the Handlungsfelder open (day 3)."""
    open_handlungsfelder(app)


def _open(app: App, title: str = "Handlungsfeld Ganztag", at: dt.datetime | None = None) -> str:
    report = open_decision(app, NRW, "handlungsfelder", title=title, proposed="Regionales Bildungsbüro",
                           previous="dem Schulträger", by="bb@example.org", at=at or day(4))
    return report.id


def test_a_decision_waits_for_every_voter_and_the_last_consent_adopts_it(app: App, fields_open: None) -> None:
    opened = open_decision(app, NRW, "handlungsfelder", title="Handlungsfeld Inklusion", proposed="Bildungsbüro",
                           previous="der unteren Schulaufsicht", by="bb@example.org", at=day(4))
    assert (opened.status, opened.kind, opened.cycle, opened.adopted) == ("open", "field_of_action", 1, False)
    assert opened.reason.startswith("offen: Stimme ausstehend von ")
    assert opened.decided_at is None

    for hours, member in enumerate(VOTERS[:-1], start=1):
        report = cast_vote(app, NRW, "Handlungsfeld Inklusion", member=member,
                           vote="reservation" if member == UNTERE else "consent", by="bb@example.org",
                           at=day(4) + dt.timedelta(hours=hours))
        assert report.status == "open"
    assert "Jugendamt" in report.reason and "Vorbehalt von Schulamt" in report.reason
    assert report.responsibility == "der unteren Schulaufsicht"  # nothing changed while open

    last = cast_vote(app, NRW, opened.id[:8], member=JUGENDAMT, vote="consent", by="bb@example.org",
                     at=day(5))
    assert (last.status, last.adopted, last.responsibility) == ("adopted", True, "Bildungsbüro")
    assert last.reason.startswith("im Konsens beschlossen, mit Vorbehalt von Schulamt für den Kreis Lindenau")
    assert last.decided_at is not None and dt.datetime.fromisoformat(last.decided_at) == day(5)
    assert len(last.votes) == 4
    trigger = app.trigger
    assert isinstance(trigger, RecordingTrigger)
    assert (NRW, "handlungsfelder", day(5)) in trigger.calls  # the vote runs the stage's flow


def test_one_objection_decides_at_once_and_the_responsibility_stays(app: App, fields_open: None) -> None:
    decision = _open(app)
    cast_vote(app, NRW, decision, member=OBERE, vote="consent", by="bb@example.org", at=day(4))

    refused = cast_vote(app, NRW, decision, member=KOMMUNE, vote="objection", reason="Finanzierung ungeklärt",
                        by="bb@example.org", at=day(4) + dt.timedelta(hours=1))

    assert (refused.status, refused.adopted) == ("not_agreed", False)
    assert refused.reason == ("nicht beschlossen: Einwand von Kreis Lindenau, Schulverwaltungsamt; "
                              "Zuständigkeit bleibt bei dem Schulträger")
    assert refused.responsibility == "dem Schulträger"
    assert refused.notes == {"Kreis Lindenau, Schulverwaltungsamt": "Finanzierung ungeklärt"}
    with pytest.raises(InvalidInput, match=r"bereits entschieden .*weitere Stimmen werden nicht angenommen"):
        cast_vote(app, NRW, decision, member=JUGENDAMT, vote="consent", by="bb@example.org", at=day(5))
    assert show_decision(app, NRW, "Handlungsfeld Ganztag") == refused
    with app.uow() as uow:
        actions = [e.action for e in uow.session.exec(
            select(AuditEvent).where(col(AuditEvent.entity).in_(["decision", "decision_vote"]))
            .order_by(col(AuditEvent.at)))]
    assert actions == ["opened", "consent", "objection", "not_agreed"]


def test_votes_name_what_is_wrong(app: App, fields_open: None) -> None:
    decision = _open(app)

    with pytest.raises(InvalidInput, match="unbekanntes Mitglied 'Stadtwerke' in rbn-lindenau"):
        cast_vote(app, NRW, decision, member="Stadtwerke", vote="consent", by="x", at=day(4))
    with pytest.raises(InvalidInput, match="'Kreis Lindenau' ist in rbn-lindenau mehrdeutig"):
        cast_vote(app, NRW, decision, member="Kreis Lindenau", vote="consent", by="x", at=day(4))
    with pytest.raises(InvalidInput, match=r"Agentur für Arbeit Lindenau ist in rbn-lindenau nicht stimmberechtigt "
                                           r"\(beratender Gast; es stimmt: Lenkungskreis\)"):
        cast_vote(app, NRW, decision, member="Agentur für Arbeit", vote="consent", by="x", at=day(4))
    with pytest.raises(InvalidInput, match=r"nicht stimmberechtigt \(Regionales Bildungsbüro"):
        cast_vote(app, NRW, decision, member="Regionales Bildungsbüro", vote="consent", by="x", at=day(4))
    with pytest.raises(InvalidInput, match=r"unbekannter Beschluss 'Haushalt' in rbn-lindenau \(Beschlüsse: "
                                           r"Handlungsfeld Ganztag \(handlungsfelder\)\)"):
        cast_vote(app, NRW, "Haushalt", member=OBERE, vote="consent", by="x", at=day(4))
    with pytest.raises(InvalidInput, match="unbekannte Stimme 'ja'"):
        cast_vote(app, NRW, decision, member=OBERE, vote="ja", by="x", at=day(4))
    with pytest.raises(InvalidInput, match="liegt vor der Eröffnung"):
        cast_vote(app, NRW, decision, member=OBERE, vote="consent", by="x", at=day(3))
    with app.uow() as uow:
        assert uow.session.exec(select(DecisionVote)).all() == []  # nothing stored by a refused vote

    first = cast_vote(app, NRW, decision, member=OBERE, vote="consent", by="x", at=day(4))
    assert cast_vote(app, NRW, decision, member=OBERE, vote="consent", by="x", at=day(4)) == first  # no change
    with pytest.raises(InvalidInput, match="hat zu „Handlungsfeld Ganztag“ bereits mit Zustimmung gestimmt"):
        cast_vote(app, NRW, decision, member=OBERE, vote="objection", by="x", at=day(4))


def test_opening_needs_the_stage_open_and_returns_the_same_decision_again(app: App, fields_open: None) -> None:
    first = _open(app)
    assert _open(app, at=day(6)) == first  # the same title in the same occurrence
    with pytest.raises(InvalidInput, match="die Stufe ist noch nicht eröffnet"):
        open_decision(app, NRW, "arbeitsplan", title="Arbeitsplan", by="x", at=day(4))
    with pytest.raises(InvalidInput, match="--title: ein Beschluss braucht einen Titel"):
        open_decision(app, NRW, "handlungsfelder", title=" ", by="x", at=day(4))
    with app.uow() as uow:
        assert len(uow.session.exec(select(Decision)).all()) == 1


def test_an_open_decision_does_not_count_until_adopted(app: App, fields_open: None) -> None:
    for title in ("Inklusion", "Übergänge"):
        decision = _open(app, title)
        for member in VOTERS[:-1]:
            cast_vote(app, NRW, decision, member=member, vote="consent", by="x", at=day(4))
    waiting = reconcile_stage(app, NRW, "handlungsfelder", day(4))
    assert waiting.state == "open"
    assert "Handlungsfelder: 0 von mindestens 2 im Konsens beschlossen" in waiting.unmet[0]

    for title in ("Inklusion", "Übergänge"):
        cast_vote(app, NRW, title, member=JUGENDAMT, vote="consent", by="x", at=day(5))
    assert reconcile_stage(app, NRW, "handlungsfelder", day(5)).state == "completed"


def test_members_are_found_by_name_part_and_steps_must_be_declared(app: App, fields_open: None) -> None:
    ids = member_ids(app, NRW, ["obere Schulaufsicht", "kreis lindenau, schulverwaltungsamt"], at=day(4))
    assert len(set(ids)) == 2
    with pytest.raises(InvalidInput, match="--party: unbekanntes Mitglied 'Land NRW'"):
        member_ids(app, NRW, ["Land NRW"], at=day(4))
    with pytest.raises(InvalidInput, match=r"unbekannter Schritt 'held' \(bekannt: constituted\)"):
        record_step(app, NRW, "lenkungskreis", "held", by="x", at=day(4))
    with pytest.raises(InvalidInput, match="handlungsfelder: die Stufe dokumentiert keine Schritte"):
        record_step(app, NRW, "handlungsfelder", "done", by="x", at=day(4))
