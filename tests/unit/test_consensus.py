"""The consensus rule: adopted only when every voter voted and nobody objects; otherwise the
responsibility stays where it was, and the reason says why."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verbund.domain.governance import Vote, consensus

NAMES = {"land": "Bezirksregierung", "kommune": "Kreis Lindenau", "jugend": "Jugendamt"}
VOTERS = set(NAMES)


def test_all_consent_adopts_and_moves_the_responsibility() -> None:
    result = consensus(VOTERS, dict.fromkeys(VOTERS, "consent"), proposed="Bildungsbüro", previous="Schulträger")

    assert result.adopted
    assert result.responsibility == "Bildungsbüro"
    assert result.reason == "im Konsens beschlossen"


def test_a_reservation_does_not_block_but_is_named() -> None:
    votes = {"land": "consent", "kommune": "reservation", "jugend": "consent"}

    result = consensus(VOTERS, votes, proposed="Bildungsbüro", previous="Schulträger", names=NAMES)

    assert result.adopted
    assert result.reservations == ("kommune",)
    assert "mit Vorbehalt von Kreis Lindenau" in result.reason


def test_one_objection_is_not_adopted_says_who_objected_and_keeps_the_previous_responsibility() -> None:
    votes = {"land": "consent", "kommune": "consent", "jugend": "objection"}

    result = consensus(VOTERS, votes, proposed="Bildungsbüro", previous="dem Schulträger", names=NAMES)

    assert not result.adopted
    assert result.objections == ("jugend",)
    assert result.responsibility == "dem Schulträger"
    assert result.reason == "nicht beschlossen: Einwand von Jugendamt; Zuständigkeit bleibt bei dem Schulträger"


def test_a_missing_vote_is_not_consent() -> None:
    result = consensus(VOTERS, {"land": "consent", "kommune": "consent"}, proposed="B", previous="A", names=NAMES)

    assert not result.adopted
    assert result.missing == ("jugend",)
    assert "keine Stimme von Jugendamt" in result.reason
    assert result.responsibility == "A"


def test_a_vote_from_someone_who_may_not_vote_is_refused_naming_them() -> None:
    with pytest.raises(ValueError, match="Gast GmbH"):
        consensus(VOTERS, {"land": "consent", "gast": "consent"}, proposed=None, previous=None,
                  names={**NAMES, "gast": "Gast GmbH"})


def test_an_unknown_vote_value_is_refused() -> None:
    with pytest.raises(ValueError):
        consensus(VOTERS, {"land": "veto"}, proposed=None, previous=None)


def test_a_body_without_voters_cannot_decide() -> None:
    with pytest.raises(ValueError, match="kein stimmberechtigtes Mitglied"):
        consensus(set(), {}, proposed="B", previous="A")


voter_ids = st.sets(st.text(alphabet="abcdefgh", min_size=1, max_size=4), min_size=1, max_size=8)


@st.composite
def ballots(draw: st.DrawFn) -> tuple[set[str], dict[str, Vote]]:
    voters = draw(voter_ids)
    voted = draw(st.sets(st.sampled_from(sorted(voters))))
    votes = {voter: draw(st.sampled_from(list(Vote))) for voter in voted}
    return voters, votes


@given(ballots(), st.text(max_size=5), st.text(max_size=5))
def test_adopted_exactly_when_everyone_voted_and_nobody_objected(
    ballot: tuple[set[str], dict[str, Vote]], proposed: str, previous: str
) -> None:
    voters, votes = ballot
    result = consensus(voters, votes, proposed=proposed, previous=previous)

    everyone = set(votes) == voters
    nobody_objects = Vote.objection not in votes.values()
    assert result.adopted == (everyone and nobody_objects)
    assert result.responsibility == (proposed if result.adopted else previous)
    assert set(result.objections) == {v for v, vote in votes.items() if vote is Vote.objection}
    assert set(result.missing) == (voters - set(votes) if not result.adopted else set())
    assert result.reason.startswith("im Konsens" if result.adopted else "nicht beschlossen")


@given(ballots())
def test_one_more_objection_never_turns_a_refusal_into_adoption(ballot: tuple[set[str], dict[str, Vote]]) -> None:
    voters, votes = ballot
    before = consensus(voters, votes, proposed="B", previous="A")
    objector = sorted(voters)[0]

    after = consensus(voters, {**votes, objector: Vote.objection}, proposed="B", previous="A")

    assert not after.adopted
    assert after.responsibility == "A"
    assert objector in after.objections
    if not before.adopted:
        assert not after.adopted


@given(ballots(), st.randoms())
def test_the_order_of_the_votes_does_not_matter(ballot: tuple[set[str], dict[str, Vote]], rng) -> None:  # type: ignore[no-untyped-def]
    voters, votes = ballot
    items = list(votes.items())
    rng.shuffle(items)

    assert consensus(voters, dict(items), proposed="B", previous="A") == consensus(
        voters, votes, proposed="B", previous="A"
    )
