"""Pure rules for school data: which institutions are public schools to assign, their regions and
Förderschwerpunkte (foci), for the Sächsische Schuldatenbank and the NRW ``schuldaten.csv``.

Glossary: Förderschwerpunkt → ``focus`` (stored in ``Organisation.special_needs`` by its German
name); Schulaufsicht / LaSuB-Standort → ``inspectorate``; Rechtsform → ``legal_status``;
Schulbetriebsschlüssel → ``operation``; Zuordnung → assignment (an exclusive ``Membership``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import Index, text

from verbund.domain.models import Membership
from verbund.domain.slugs import slugify

# The seven Förderschwerpunkte (Saxony § 4c SächsSchulG; KMK), in the report's order.
FOCI: tuple[str, ...] = (
    "Lernen",
    "Sprache",
    "emotionale und soziale Entwicklung",
    "geistige Entwicklung",
    "körperliche und motorische Entwicklung",
    "Hören",
    "Sehen",
)

# At most one open exclusive membership (a school's assignment, Zuordnung) per organisation: being
# assigned twice is impossible by constraint (partial unique index; SQLite and PostgreSQL).
EXCLUSIVE_OPEN = "exclusive AND valid_to IS NULL"
ONE_ASSIGNMENT_PER_SCHOOL = Index(
    "ux_membership_one_assignment",
    Membership.__table__.c.organisation_id,  # type: ignore[attr-defined]
    unique=True,
    sqlite_where=text(EXCLUSIVE_OPEN),
    postgresql_where=text(EXCLUSIVE_OPEN),
)


@dataclass(frozen=True)
class Scope:
    """What an institution is and whether it is a public school to assign (with the reason if not)."""

    kind: str
    in_scope: bool
    reason: str | None = None  # set for public institutions that are not to be assigned


@dataclass(frozen=True)
class RegionRef:
    slug: str
    name: str
    state: str
    parent: str | None = None


# --- Saxony -------------------------------------------------------------------------------------

LASUB_STANDORTE: dict[str, str] = {
    "01": "Bautzen", "02": "Chemnitz", "03": "Dresden", "04": "Leipzig", "05": "Zwickau",
}
SAXON_CATEGORIES: dict[str, str] = {
    "10": "allgemeinbildende Schule", "20": "berufsbildende Schule", "40": "Schule des zweiten Bildungswegs",
    "50": "sonstige Einrichtung", "60": "Bildungszentrum", "70": "Weiterbildungsstätte", "90": "Behörde",
}
SAXON_SCHOOL_CATEGORIES = frozenset({"10", "20", "40"})
# school_type_keys 31–37: Förderschulen, one Förderschwerpunkt each; 39 Klinik- und Krankenhausschule.
SAXON_FOCUS_BY_TYPE: dict[int, str] = {
    31: "Sehen", 32: "Hören", 33: "geistige Entwicklung", 34: "körperliche und motorische Entwicklung",
    35: "Lernen", 36: "Sprache", 37: "emotionale und soziale Entwicklung",
}
SAXON_FOERDERSCHULE_TYPES = frozenset({*SAXON_FOCUS_BY_TYPE, 39})


def saxon_region(inspectorate_key: str) -> RegionRef | None:
    """The LaSuB-Standort supervising a school (``"05"`` → ``sn-zwickau``), or None."""
    name = LASUB_STANDORTE.get(inspectorate_key)
    if name is None:
        return None
    return RegionRef(f"sn-{slugify(name)}", f"LaSuB-Standort {name}", "SN")


def saxon_scope(legal_status: str, category: str, inspectorate: str) -> Scope:
    """Public (``01``), category 10/20/40, supervised by a LaSuB-Standort (01–05): a school to assign."""
    if legal_status == "02":
        return Scope("private_school", False)
    if legal_status != "01":
        return Scope("other", False)
    if category == "90":
        return Scope("school_authority", False, "Behörde (Schulart-Kategorie 90), keine Schule")
    if category not in SAXON_SCHOOL_CATEGORIES:
        label = SAXON_CATEGORIES.get(category, "unbekannt")
        return Scope("public_school", False, f"Schulart-Kategorie {category} ({label}) wird nicht zugeordnet")
    if inspectorate not in LASUB_STANDORTE:
        return Scope("public_school", False, f"Schulaufsicht {inspectorate} ist kein LaSuB-Standort")
    return Scope("public_school", True)


def saxon_foci(type_keys: list[int]) -> list[str]:
    return [focus for focus in FOCI if any(SAXON_FOCUS_BY_TYPE.get(key) == focus for key in type_keys)]


# --- North Rhine-Westphalia ---------------------------------------------------------------------

NRW_BEZIRKSREGIERUNGEN: dict[str, str] = {
    "1": "Düsseldorf", "3": "Köln", "5": "Münster", "7": "Detmold", "9": "Arnsberg",
}
# Schulformen that are not schools: supervision, teacher training (ZfsL, Seminare), Lernorte.
NRW_NOT_SCHOOLS: dict[str, tuple[str, str]] = {
    "0A": ("school_authority", "Schulaufsicht"),
    **{code: ("other", "Zentrum/Seminar der Lehrerausbildung") for code in ("50", "51", "52", "53", "56", "58")},
    "81": ("other", "Schulischer Lernort"),
}
NRW_FOERDERSCHULEN = frozenset({"08", "19", "83", "85", "87", "88"})
NRW_FOCI: dict[str, str] = {
    "LE": "Lernen", "SQ": "Sprache", "ES": "emotionale und soziale Entwicklung", "GG": "geistige Entwicklung",
    "KM": "körperliche und motorische Entwicklung", "HK": "Hören", "SE": "Sehen",
}
NRW_OTHER_ABBREVIATIONS = frozenset({"KR", "BK"})  # Kranke (Klinikschule), Berufskolleg: no Förderschwerpunkt
NRW_OPERATING = frozenset({"0", "1", "2", "6"})
NRW_CLOSED = frozenset({"5", "9"})


@dataclass(frozen=True)
class Operation:
    """What the Schulbetriebsschlüssel says: in scope or why not, and the closing date if closed."""

    in_scope: bool
    reason: str | None = None
    closed_on: dt.date | None = None


def nrw_operation(code: str, since: dt.date | None, today: dt.date) -> Operation:
    """Schulbetriebsschlüssel: 0/1/2/6 operating; 3 from its date; 4 resting; 5/9 dissolved."""
    if code in NRW_OPERATING:
        return Operation(True)
    if code == "3":
        if since is not None and since > today:
            return Operation(False, f"nimmt den Schulbetrieb erst am {since:%d.%m.%Y} auf")
        return Operation(True)
    if code == "4":
        return Operation(False, "Schulbetrieb ruht")
    if code in NRW_CLOSED:
        return Operation(False, "aufgelöst", closed_on=since or today)
    raise ValueError(f"unbekannter Schulbetriebsschlüssel '{code}'")


def nrw_scope(legal_status: str, school_form: str) -> Scope:
    """Rechtsform 1 (public) and a Schulform that is a school: to assign; 2: private, not assigned."""
    if legal_status == "2":
        return Scope("private_school", False)
    if legal_status != "1":
        raise ValueError(f"unbekannte Rechtsform '{legal_status}' (erlaubt: 1, 2)")
    if school_form in NRW_NOT_SCHOOLS:
        kind, label = NRW_NOT_SCHOOLS[school_form]
        return Scope(kind, False, f"Schulform {school_form} ({label}) ist keine Schule")
    return Scope("public_school", True)


def nrw_foci(short_name: str) -> list[str]:
    """Förderschwerpunkte from the Kurzbezeichnung: ``"Altena, FÖ SQ, LE Hundertwasser-Schule"``."""
    match = re.search(r"\bFÖ\b(.*)", short_name)
    if match is None:
        return []
    found: set[str] = set()
    for abbreviation in re.split(r"[,\s/]+", match.group(1).strip()):
        if abbreviation in NRW_FOCI:
            found.add(NRW_FOCI[abbreviation])
        elif abbreviation not in NRW_OTHER_ABBREVIATIONS:
            break
    return [focus for focus in FOCI if focus in found]


@cache
def nrw_kreise() -> dict[str, tuple[str, str]]:
    """AGS of the 53 Kreise and kreisfreie Städte of NRW → (name, type) (``domain/data/nrw_kreise.csv``)."""
    data = resources.files("verbund.domain").joinpath("data", "nrw_kreise.csv").read_text(encoding="utf-8")
    return {row["ags_kreis"]: (row["name"], row["typ"]) for row in csv.DictReader(io.StringIO(data))}


def nrw_region(community_key: str) -> RegionRef | None:
    """Kreis / kreisfreie Stadt of an 8-digit Gemeindeschlüssel, parent the Bezirksregierung."""
    found = nrw_kreise().get(community_key[:5])
    if found is None:
        return None
    district = NRW_BEZIRKSREGIERUNGEN.get(community_key[2:3])
    parent = f"Bezirksregierung {district}" if district else None
    name = found[0] if found[1] == "Kreis" else f"{found[0]}, Stadt"
    return RegionRef(f"nw-{slugify(found[0])}", name, "NW", parent)


# --- Any source ---------------------------------------------------------------------------------

def is_foerderschule(school_types: list[str]) -> bool:
    """Saxon type keys 31–39, NRW Schulformen (``nw:08`` …), or a type label naming a Förderschule."""
    for value in school_types:
        if value.isascii() and value.isdigit() and int(value) in SAXON_FOERDERSCHULE_TYPES:
            return True
        if value.startswith("nw:") and value[3:] in NRW_FOERDERSCHULEN:
            return True
        if value.lower().startswith(("förderschule", "foerderschule")):
            return True
    return False


def focus_name(value: str) -> str | None:
    """The canonical Förderschwerpunkt for a name, slug or NRW abbreviation (``"LE"``, ``"lernen"``)."""
    cleaned = value.strip()
    if cleaned.upper() in NRW_FOCI:
        return NRW_FOCI[cleaned.upper()]
    wanted = slugify(cleaned)
    return next((focus for focus in FOCI if slugify(focus) == wanted), None)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean earth radius 6371.0088 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))
