"""Slugs: German letters transliterated, everything else collapsed to single hyphens."""

from __future__ import annotations

import unicodedata

import pytest

from verbund.domain.slugs import is_slug, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Görlitz Süd", "goerlitz-sued"),
        ("Straße", "strasse"),
        ("Äußere Neustadt", "aeussere-neustadt"),
        ("ÖSTERREICHER Weg", "oesterreicher-weg"),
        ("Übigau", "uebigau"),
        ("Bautzen/Budyšin", "bautzen-budysin"),  # other accents lose their mark only
        ("Café Olé", "cafe-ole"),
        ("  Leipzig -- Nord  ", "leipzig-nord"),
        ("LaSuB-Standort Chemnitz (Schulamt)", "lasub-standort-chemnitz-schulamt"),
        ("Oberschule 2. Bildungsweg", "oberschule-2-bildungsweg"),
    ],
)
def test_slugify_transliterates_german_letters_and_hyphenates_the_rest(text: str, slug: str) -> None:
    assert slugify(text) == slug
    assert is_slug(slugify(text))


def test_slugify_of_only_punctuation_is_empty_and_not_a_slug() -> None:
    assert slugify(" -- !! ") == ""
    assert not is_slug("")


def test_slugify_is_idempotent_on_a_slug() -> None:
    assert slugify("goerlitz-sued") == "goerlitz-sued"


@pytest.mark.parametrize("value", ["goerlitz-sued", "dresden", "verbund-7", "a-b-c", "2019"])
def test_lower_case_words_joined_by_single_hyphens_are_slugs(value: str) -> None:
    assert is_slug(value)


@pytest.mark.parametrize(
    "value",
    ["Görlitz", "goerlitz_sued", "goerlitz--sued", "-goerlitz", "goerlitz-", "Dresden", "goerlitz sued", "görlitz"],
)
def test_upper_case_umlauts_spaces_underscores_and_stray_hyphens_are_not_slugs(value: str) -> None:
    assert not is_slug(value)


def test_decomposed_umlauts_give_the_same_slug_as_composed_ones() -> None:
    decomposed = unicodedata.normalize("NFD", "Görlitz Süd")
    assert decomposed != "Görlitz Süd"

    assert slugify(decomposed) == "goerlitz-sued"


def test_the_capital_sharp_s_is_transliterated() -> None:
    assert slugify("GROẞE STRAẞE") == "grosse-strasse"
