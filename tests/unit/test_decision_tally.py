"""When a decision taken vote by vote is decided, and what an open one says (pure rules)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from verbund.domain.governance import consensus, decided, pending_reason

VOTERS = {"a", "b", "c"}
NAMES = {"a": "Land", "b": "Kommune", "c": "Jugendamt"}


def test_an_objection_decides_before_everyone_has_voted() -> None:
    assert decided(VOTERS, {"a": "objection"})
    assert not decided(VOTERS, {"a": "consent", "b": "reservation"})
    assert decided(VOTERS, {"a": "consent", "b": "reservation", "c": "consent"})


def test_an_open_decision_names_the_outstanding_votes_and_the_reservations() -> None:
    assert pending_reason(VOTERS, {}, NAMES) == "offen: Stimme ausstehend von Jugendamt, Kommune, Land"
    assert pending_reason(VOTERS, {"b": "reservation"}, NAMES) == (
        "offen: Stimme ausstehend von Jugendamt, Land; Vorbehalt von Kommune")


@given(st.dictionaries(st.sampled_from(sorted(VOTERS)), st.sampled_from(["consent", "objection", "reservation"])))
def test_once_decided_the_outcome_is_the_consensus_rule_and_no_later_vote_can_adopt_it(votes: dict[str, str]) -> None:
    if not decided(VOTERS, votes):
        assert "objection" not in votes.values() and set(votes) < VOTERS
        return
    result = consensus(VOTERS, votes, proposed="neu", previous="alt")
    assert result.adopted == ("objection" not in votes.values())
    assert result.responsibility == ("neu" if result.adopted else "alt")
