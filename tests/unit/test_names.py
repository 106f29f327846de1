"""One person's name in the spellings people type: the matcher of the actor references and the erasure."""

from __future__ import annotations

import pytest

from verbund.domain.actors import match
from verbund.domain.names import name_pattern, person_key, same_name

NAME = "Doreen Schmidt"


@pytest.mark.parametrize("text", [
    "Doreen Schmidt", "doreen schmidt", "  DOREEN \t Schmidt ", "Schmidt, Doreen", "Schmidt,Doreen",
    "Dr. Doreen Schmidt", "Frau Dr. Doreen Schmidt", "Prof. Dr. Schmidt, Doreen", "Doreen Schmidt (Kita Sonnenschein)",
])
def test_spellings_of_one_name_are_the_same_name(text: str) -> None:
    assert same_name(text, NAME)
    pattern = name_pattern(NAME)
    assert pattern is not None and pattern.search(f"Rückmeldung: {text}; danke.")


@pytest.mark.parametrize("text", ["Doreen", "Schmidt", "Doreen Schmidtke", "Dorina Schmidt", "Doreen-Schmidt Bau",
                                  "Sandra Schmidt", "Kita Sonnenschein"])
def test_other_names_and_parts_of_the_name_are_not_the_name(text: str) -> None:
    assert not same_name(text, NAME)
    pattern = name_pattern(NAME)
    assert pattern is not None and not pattern.search(text)


def test_umlauts_match_in_either_spelling() -> None:
    assert person_key("Jürgen Weiß") == person_key("Juergen Weiss") == ("juergen", "weiss")
    pattern = name_pattern("Jürgen Weiß")
    assert pattern is not None
    assert pattern.sub("[gelöscht]", "Weiss, Juergen und JÜRGEN WEISS; nicht Jürgen Weißmann") == \
        "[gelöscht] und [gelöscht]; nicht Jürgen Weißmann"


def test_a_single_word_has_no_pattern_and_matches_nobody() -> None:
    assert name_pattern("Doreen") is None and not same_name("Doreen", "Doreen")


def test_match_names_one_person_or_nobody() -> None:
    import uuid

    a, b, c, u = (uuid.uuid4() for _ in range(4))
    contacts = [(a, "Doreen Schmidt", "d.schmidt@kita.example.org", "Kita Sonnenschein"),
                (b, "Max Muster", None, "Jugendamt Auental"), (c, "Max Muster", None, "Jugendamt Bergland")]
    users = [(u, "koordination@example.org", "Karl Koordinator")]
    assert match("Schmidt, Doreen", contacts, users) == f"contact:{a}"
    assert match("Dr. Doreen Schmidt (Kita Sonnenschein)", contacts, users) == f"contact:{a}"
    assert match("Doreen Schmidt (Jugendamt Auental)", contacts, users) is None  # not that organisation's
    assert match("D.Schmidt@Kita.example.org", contacts, users) == f"contact:{a}"
    assert match("Muster, Max", contacts, users) is None  # two namesakes: not guessed
    assert match("Max Muster (Jugendamt Bergland)", contacts, users) == f"contact:{c}"
    assert match("Herr Karl Koordinator", contacts, users) == f"user:{u}"
