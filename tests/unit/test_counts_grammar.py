"""Plural and case for every count a person reads (issue 17): every message kind rendered with counts 0, 1
and 2, every count on a dashboard page rendered through the pages' own ``count`` filter with 0, 1 and 2,
and a scan of the page and message templates and of the code's German texts for a number put before a
fixed plural ("1 Einträge"). The partner notice "1 Angabe gespeichert" is driven over HTTP in
tests/dashboard/test_partner_flows.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from verbund.dashboard.web import templates
from verbund.domain.outbox import OutboxKind
from verbund.notifications import digest, render

ROOT = Path(__file__).resolve().parents[2]
# Plural nouns the app counts; a number must not stand before one of them except through count().
PLURALS = ("Mitglieder", "Mitgliedern", "Einträge", "Schulen", "Angaben", "Vorschläge", "Ansprechpersonen",
           "Nachrichten", "Stufen", "Verbünde", "Verbünden", "Werktage", "Tage", "Versuchen", "Empfehlungen",
           "Potenziale", "Ziele", "Einsprüche", "Mitteilungen", "Regionen", "Protokolle", "Beratungen")
FIXED_PLURAL = re.compile(r"\}\}?\s+(?:[a-zäöü]+\s+){0,2}(" + "|".join(PLURALS) + r")\b")

BASE = {
    "network": "kv-auental-nord", "network_name": "Kooperationsverbund Auental-Nord", "contact_name": "Anke Müller",
    "organisation": "Grundschule „Am Park“ Lindenau", "link": "http://127.0.0.1:8000/eingabe/kv-auental-nord/analysis",
    "key": "0123456789abcdef", "stage_title": "Analyse", "stage_description": "Bedingungen und Akteure",
    "due": "2021-11-17", "starts_at": "2021-11-18T10:00:00+01:00", "place": "Landratsamt, Saal 1",
    "sequence": 0, "cancelled": False, "uid": "x@verbund", "objection_deadline": "2021-11-30",
    "content_hash": "abcdef", "level": 1, "reason": "overdue", "reason_title": "„Analyse“ überfällig",
    "title": "Fachtag Inklusion", "text": "Am 12.11. findet der Fachtag statt.", "failed_kind_label": "Erinnerung",
    "failed_contact": "Anke Müller", "failed_organisation": "Grundschule „Am Park“ Lindenau",
}
COUNTED = {  # context value → (singular, plural) as the message must say it
    "days_left": ("Werktag", "Werktage"), "late_days": ("Werktag", "Werktage"), "attempts": ("Versuch", "Versuchen"),
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("n", [0, 1, 2])
@pytest.mark.parametrize("reason", ["overdue", "failed"])
@pytest.mark.parametrize("kind", list(OutboxKind))
def test_every_message_kind_says_its_counts_in_singular_only_for_one(kind: OutboxKind, reason: str, n: int) -> None:
    subject, body = render(kind, {**BASE, **dict.fromkeys(COUNTED, n), "reason": reason})
    text = _one_line(f"{subject}\n{body}")
    for one, many in COUNTED.values():
        assert f"{n} {many if n == 1 else one} " not in text + " ", (kind, reason, text)
    said = [f"{n} {one if n == 1 else many}" for one, many in COUNTED.values() if f"{n} {one}" in text
            or f"{n} {many}" in text]
    expected = {"reminder": ["Werktag"], "escalation": ["Werktag"] if reason == "overdue" else ["Versuch"]}
    assert len(said) >= len(expected.get(kind, [])), (kind, reason, text)
    if kind == "reminder":
        assert f"noch {n} {'Werktag' if n == 1 else 'Werktage'})" in text
    if kind == "escalation" and reason == "overdue":
        assert f"({n} {'Werktag' if n == 1 else 'Werktage'})" in text
    if kind == "escalation" and reason == "failed":
        assert f"nach {n} {'Versuch' if n == 1 else 'Versuchen'} nicht zugestellt" in text
    assert not re.search(r"\b1 (" + "|".join(PLURALS) + r")\b", text), text


def test_a_digest_counts_its_messages_and_one_message_is_no_digest() -> None:
    parts = [render(OutboxKind.reminder, {**BASE, "days_left": 2}), render(OutboxKind.overdue, BASE)]
    subject, body = digest(parts, "Anke Müller", "2021-11-17")
    assert subject.startswith("2 Mitteilungen") and "heute haben wir 2 Mitteilungen" in body
    assert digest(parts[:1], "Anke Müller", "2021-11-17") == parts[0]


def _page_counts() -> list[tuple[str, str, str]]:
    """Every ``…|count('one', 'many')`` on a dashboard page: (template, one, many)."""
    found = []
    for path in sorted((ROOT / "dashboard" / "templates").rglob("*.html")):
        for one, many in re.findall(r"\|count\('([^']+)', '([^']+)'\)", path.read_text(encoding="utf-8")):
            found.append((path.name, one, many))
    return found


def test_the_pages_show_their_counts_through_the_count_filter() -> None:
    names = {name for name, _one, _many in _page_counts()}
    assert {"network.html", "overview.html", "region.html", "directory.html"} <= names


@pytest.mark.parametrize(("page", "one", "many"), _page_counts())
@pytest.mark.parametrize("n", [0, 1, 2])
def test_every_count_on_a_page_renders_singular_only_for_one(page: str, one: str, many: str, n: int) -> None:
    shown = templates.env.from_string("{{ items|length|count(one, many) }}").render(items=[None] * n, one=one,
                                                                                  many=many)
    assert shown == f"{n} {one if n == 1 else many}"


def _fixed_plurals(paths: list[Path], pattern: re.Pattern[str], allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line) and not any(text in line for text in allowed):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:160]}")
    return found


def test_no_page_or_message_template_puts_a_number_before_a_fixed_plural() -> None:
    paths = [*sorted((ROOT / "dashboard" / "templates").rglob("*.html")),
             *sorted((ROOT / "notifications" / "templates").glob("*.j2"))]
    allowed = ("Alle {{ s.events|length }} Einträge",  # shown only for more than five entries
               "Alle {{ ml.total }} Nachrichten auf einer Seite")  # shown only for more than one page of them
    found = _fixed_plurals(paths, FIXED_PLURAL, allowed)
    assert not found, "\n".join(found)


def test_no_german_text_in_the_code_puts_a_number_before_a_fixed_plural() -> None:
    """f-strings like f"{n} Einträge": each count goes through ``count``/``plural`` instead."""
    pattern = re.compile(r"\{(?:len\([^{}]*\)|[a-z_]+)\}\s+(?:[a-zäöü]+\s+){0,1}(" + "|".join(PLURALS) + r")\b")
    paths = [path for folder in ("dashboard", "services", "cli", "domain", "flows", "notifications")
             for path in sorted((ROOT / folder).rglob("*.py")) if "migrations" not in path.parts]
    found = _fixed_plurals(paths, pattern, ("dieser Mitglieder",))  # "1 dieser Mitglieder erreicht": genitive plural
    assert not found, "\n".join(found)
