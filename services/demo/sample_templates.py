"""Deterministic, fictional sample data for the templates besides Saxony's.

- ``nrw-bildungsnetzwerk``: two fictional NRW regions (a Kreis and a kreisfreie Stadt, parent a
  fictional Bezirksregierung), one Regionales Bildungsnetzwerk each: Land (obere and untere
  Schulaufsicht) and Kommune in the Lenkungskreis, the Regionales Bildungsbüro coordinating,
  advisory guests, schools as members.
- ``hessen-kooperationsverbund``: two fictional Kooperationsverbünde, each of two or three
  Staatliche Schulämter (one region per Schulamt, parent the Verbund).
- ``kommunale-koordinierung``: one fictional Kreis coordinating the transition school → work with
  every partner kind of the template.

All names are invented; AGS codes use unused ranges (059xx, 064xx); e-mail addresses use the
reserved domain example.org. The same seed gives the same data; running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from verbund.domain.errors import InvalidInput
from verbund.domain.models import MembershipRole
from verbund.domain.process import load_template
from verbund.domain.slugs import slugify
from verbund.services.app.bootstrap import App
from verbund.services.demo.sample import FIRST, LAST, SampleRegion
from verbund.services.directory.setup import (
    ContactSpec,
    OrganisationSpec,
    add_contact,
    add_member,
    create_network,
    upsert_organisation,
    upsert_region,
)

SOURCE = "sample"


@dataclass
class _Org:
    name: str
    kind: str
    role: str = MembershipRole.member
    function: str = "Ansprechperson"


@dataclass
class _Network:
    slug: str
    name: str
    region: tuple[str, str, str | None]  # slug, name, parent
    members: list[_Org] = field(default_factory=list)
    extra_regions: list[tuple[str, str, str | None]] = field(default_factory=list)


def _nrw() -> list[_Network]:
    networks = []
    for slug, name, kind, schools in (
        ("nw-kreis-lindenau", "Kreis Lindenau", "Kreis", ["Lindenau", "Birkhausen", "Eichtal"]),
        ("nw-stadt-muehlenbach", "Stadt Mühlenbach", "kreisfreie Stadt", ["Mühlenbach-Mitte", "Mühlenbach-Nord"]),
    ):
        short = name.split(" ", 1)[1]
        article = "den Kreis" if kind == "Kreis" else "die Stadt"
        members = [
            _Org(f"Bezirksregierung Musterberg, Regionalkoordination (obere Schulaufsicht) für {short}",
                 "school_authority", MembershipRole.steering_committee, "Regionalkoordination"),
            _Org(f"Schulamt für {article} {short} (untere Schulaufsicht)", "school_authority",
                 MembershipRole.steering_committee, "Schulrätin"),
            _Org(f"{name}, Schulverwaltungsamt", "school_board", MembershipRole.steering_committee, "Schuldezernat"),
            _Org(f"{name}, Jugendamt", "youth_welfare", MembershipRole.steering_committee, "Jugendhilfeplanung"),
            _Org(f"Regionales Bildungsbüro {short}", "other", MembershipRole.coordinator, "Leitung Bildungsbüro"),
            _Org(f"Agentur für Arbeit {short}", "employment_agency", MembershipRole.guest, "Berufsberatung"),
            _Org(f"Freie Schule {short}", "private_school", MembershipRole.guest, "Schulleitung"),
        ]
        for town in schools:
            members.append(_Org(f"Grundschule {town}", "public_school", function="Schulleitung"))
            members.append(_Org(f"Gesamtschule {town}", "public_school", function="Schulleitung"))
        networks.append(_Network(f"rbn-{slugify(short)}", f"Regionales Bildungsnetzwerk {name}",
                                 (slug, name, "Bezirksregierung Musterberg"), members))
    return networks


def _hessen() -> list[_Network]:
    networks = []
    for verbund, schulaemter in (
        ("Nordbeispiel", ["Eschenau", "Waldfurt", "Hohenbruch"]),
        ("Südbeispiel", ["Rheinhafen", "Bergheim an der Straße"]),
    ):
        parent = f"Kooperationsverbund {verbund}"
        members = [
            _Org(f"Staatliches Schulamt {town}", "school_authority", MembershipRole.member, "Amtsleitung")
            for town in schulaemter
        ]
        members.append(_Org(f"Geschäftsstelle {parent}", "other", MembershipRole.coordinator, "Koordination"))
        regions: list[tuple[str, str, str | None]] = [
            (f"he-{slugify(town)}", f"Staatliches Schulamt {town}", parent) for town in schulaemter
        ]
        networks.append(_Network(f"kv-he-{slugify(verbund)}", parent, regions[0], members, regions[1:]))
    return networks


def _kommunal() -> list[_Network]:
    members = [
        _Org("Kreis Birkenfeld-Land, Kommunale Koordinierungsstelle", "school_board", MembershipRole.coordinator,
             "Kommunale Koordinierung"),
        _Org("Kreis Birkenfeld-Land, Schulverwaltung", "school_board", MembershipRole.steering_committee,
             "Schuldezernat"),
        _Org("Agentur für Arbeit Birkenfeld, Berufsberatung", "employment_agency",
             MembershipRole.steering_committee, "Teamleitung Berufsberatung"),
        _Org("Industrie- und Handelskammer Birkenfeld", "business_association", MembershipRole.steering_committee,
             "Ausbildungsberatung"),
        _Org("Kreishandwerkerschaft Birkenfeld", "business_association", function="Ausbildungsberatung"),
        _Org("Realschule Birkenfeld", "public_school", function="Studien- und Berufswahlkoordination"),
        _Org("Gesamtschule Am Forst", "public_school", function="Studien- und Berufswahlkoordination"),
        _Org("Gymnasium Birkenfeld", "public_school", function="Studien- und Berufswahlkoordination"),
        _Org("Berufskolleg Birkenfeld", "vocational_school", function="Bildungsgangleitung"),
        _Org("Bildungswerk Birkenfeld gGmbH", "education_provider", function="Maßnahmenleitung"),
        _Org("Maschinenbau Lindner GmbH", "company", function="Ausbildungsleitung"),
        _Org("Bäckerei Sommer", "company", function="Inhaberin"),
        _Org("Schulamt für den Kreis Birkenfeld-Land", "school_authority", MembershipRole.guest, "Schulrat"),
    ]
    return [_Network("kako-birkenfeld-land", "Kommunale Koordinierung Kreis Birkenfeld-Land",
                     ("nw-kreis-birkenfeld-land", "Kreis Birkenfeld-Land", "Bezirksregierung Musterberg"), members)]


SAMPLES = {
    "nrw-bildungsnetzwerk": _nrw,
    "hessen-kooperationsverbund": _hessen,
    "kommunale-koordinierung": _kommunal,
}


def sample_templates() -> list[str]:
    return sorted(SAMPLES)


def build_template_sample(app: App, template: str, *, at: dt.datetime, seed: int = 2019) -> SampleRegion:
    """Create (or update) the sample networks of ``template``; returns the first region and the networks."""
    if template not in SAMPLES:
        raise InvalidInput(f"--template: keine Beispieldaten für '{template}' (vorhanden: {', '.join(SAMPLES)})")
    process = load_template(template)
    rng = random.Random(f"{seed}-{template}")
    networks = SAMPLES[template]()
    result = SampleRegion(region=networks[0].region[0])
    with app.uow(write=True) as uow:
        session = uow.session
        for spec in networks:
            region = upsert_region(session, spec.region[0], spec.region[1], process.state, spec.region[2])
            for extra in spec.extra_regions:
                upsert_region(session, extra[0], extra[1], process.state, extra[2])
            session.flush()
            network = create_network(session, region, spec.slug, spec.name, template, at)
            result.networks.append(network.slug)
            for org in spec.members:
                if org.kind not in process.partner_kinds or org.role not in process.roles:
                    raise InvalidInput(
                        f"Beispiel {template}: {org.name} ({org.kind}, {org.role}) passt nicht zur Vorlage")
                source_id = f"{process.state}-MUSTER-{slugify(org.name)}"[:120]
                stored = upsert_organisation(session, region, OrganisationSpec(SOURCE, source_id, org.name, org.kind))
                first, last = rng.choice(FIRST), rng.choice(LAST)
                email = f"{slugify(first)}.{slugify(last)}.{slugify(org.name)[:40]}@example.org"
                add_contact(session, stored, ContactSpec((SOURCE, source_id), f"{first} {last}", email, org.function,
                                                         [f"local://{email.split('@')[0]}"]))
                session.flush()
                add_member(session, network, stored, org.role, at, "sample")
                result.organisations += 1
                result.schools += org.kind == "public_school"
        uow.commit()
    return result

