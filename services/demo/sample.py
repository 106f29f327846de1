"""A deterministic, fictional sample region shaped like a LaSuB-Standort.

Two Landkreise, about 60 public schools (Grundschulen, Oberschulen, Gymnasien, Förderschulen with
their Förderschwerpunkt, Berufliche Schulzentren), four Kooperationsverbünde, every required partner
kind, invited partners (Kitas, a school in freier Trägerschaft, the Agentur für Arbeit) and a contact
per organisation. All names are invented; AGS codes use the unused range 149xx. E-mail addresses
use the reserved domain example.org.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from verbund.domain.models import MembershipRole, Network, Organisation, OrganisationKind
from verbund.domain.slugs import slugify
from verbund.services.app.bootstrap import App
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
REGION_SLUG = "sn-muldenland"
REGION_NAME = "LaSuB-Standort Muldenland (Beispielregion)"
TEMPLATE = "sachsen-inklusion"

# Kreis → (AGS prefix, networks → communities)
KREISE: dict[str, tuple[str, dict[str, list[str]]]] = {
    "Auental": ("14901", {
        "Nord": ["Lindenau", "Birkwitz", "Oberfähre", "Kleinsteinbach"],
        "Süd": ["Auenstadt", "Mühlgrund", "Weidenhain"],
    }),
    "Heidegrund": ("14902", {
        "West": ["Heidenau am Bach", "Kiefersdorf", "Sandwitz", "Brunnrode"],
        "Ost": ["Grundstadt", "Eichelberg", "Moosbach"],
    }),
}

SPECIAL_NEEDS = [
    ("Lernen", "35", "Förderschule „{}“ – Schule zur Lernförderung"),
    ("geistige Entwicklung", "33", "Förderschule „{}“ – Schule für geistig Behinderte"),
    ("emotionale und soziale Entwicklung", "37", "Förderschule „{}“ – Schule für Erziehungshilfe"),
    ("Sprache", "36", "Sprachheilschule „{}“"),
    ("körperliche und motorische Entwicklung", "34", "Förderschule „{}“ – Schule für Körperbehinderte"),
    ("Lernen", "35", "Förderzentrum „{}“ – Schule zur Lernförderung"),
    ("Hören", "32", "Landesförderschule „{}“ für Hörgeschädigte"),
    ("Sehen", "31", "Landesförderschule „{}“ für Blinde und Sehbehinderte"),
]
PATRONS = ["Pestalozzi", "Erich Kästner", "Astrid Lindgren", "Johann Amos Comenius", "Clara Zetkin",
           "Lessing", "Goethe", "Käthe Kollwitz", "Adam Ries", "Friedrich Fröbel", "Am Park",
           "An der Linde", "Regenbogen", "Kunterbunt", "Am Mühlteich", "Sonnenschein"]
FIRST = ["Anke", "Birgit", "Christian", "Doreen", "Enrico", "Franziska", "Gunnar", "Heike", "Ines",
         "Jens", "Katrin", "Lutz", "Mandy", "Nico", "Peggy", "Ronny", "Sandra", "Thomas", "Uta", "Yvonne"]
LAST = ["Müller", "Schmidt", "Richter", "Wagner", "Krause", "Lehmann", "Schulze", "Hoffmann",
        "Günther", "Böhme", "Seidel", "Weiß", "Körner", "Lorenz", "Fischer", "Voigt", "Zimmermann"]


@dataclass
class SampleRegion:
    region: str
    networks: list[str] = field(default_factory=list)
    schools: int = 0
    organisations: int = 0


class _Builder:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.counter = 0

    def spec(self, name: str, kind: str, community: str | None = None, key: str | None = None,
             types: list[str] | None = None, needs: list[str] | None = None) -> OrganisationSpec:
        self.counter += 1
        return OrganisationSpec(
            source=SOURCE, source_id=f"SN-MUSTER-{self.counter:04d}", name=name, kind=kind,
            community=community, community_key=key, school_types=types or [], special_needs=needs or [],
            latitude=round(50.9 + self.random.random() * 0.5, 5), longitude=round(12.3 + self.random.random() * 0.6, 5),
        )

    def contact(self, org: OrganisationSpec, function: str) -> ContactSpec:
        first, last = self.random.choice(FIRST), self.random.choice(LAST)
        email = f"{slugify(first)}.{slugify(last)}.{org.source_id.lower()}@example.org"
        # Every sample contact has a channel into the local mailbox (nothing leaves the machine).
        return ContactSpec((org.source, org.source_id), f"{first} {last}", email, function,
                           [f"local://{email.split('@')[0]}"])


def _schools(
    builder: _Builder, communities: list[tuple[str, str]], needs_iter: list[tuple[str, str, str]]
) -> list[OrganisationSpec]:
    schools = []
    patrons = list(PATRONS)
    builder.random.shuffle(patrons)
    for index, (community, key) in enumerate(communities):
        for _ in range(3 if index == 0 else 2):
            name = f"Grundschule „{patrons.pop()}“ {community}"
            schools.append(builder.spec(name, "public_school", community, key, ["11"]))
            patrons = patrons or list(PATRONS)
        schools.append(builder.spec(f"Oberschule {community}", "public_school", community, key, ["12"]))
    main, main_key = communities[0]
    schools.append(builder.spec(f"Gymnasium {main}", "public_school", main, main_key, ["13"]))
    for community, key in (communities[0], communities[-1]):
        need, type_key, pattern = needs_iter.pop(0)
        schools.append(builder.spec(pattern.format(builder.random.choice(PATRONS)) + f" {community}",
                                    "public_school", community, key, [type_key], [need]))
    return schools


def build_sample_region(app: App, *, at: dt.datetime, seed: int = 2019) -> SampleRegion:
    """Create (or update) the sample region, its organisations, contacts and four networks."""
    builder = _Builder(seed)
    needs = list(SPECIAL_NEEDS)
    result = SampleRegion(region=REGION_SLUG)
    with app.uow(write=True) as uow:
        session = uow.session
        region = upsert_region(session, REGION_SLUG, REGION_NAME, "SN")
        session.flush()
        authority = builder.spec("LaSuB-Standort Muldenland, Referat Inklusion", "school_authority")
        authority_org = upsert_organisation(session, region, authority)
        add_contact(session, authority_org, builder.contact(authority, "Koordination Kooperationsverbünde"))
        for kreis, (prefix, parts) in KREISE.items():
            kreis_partners = [
                (builder.spec(f"Landratsamt {kreis}, Schulverwaltungsamt", "school_board"), "Schulträger"),
                (builder.spec(f"Jugendamt Landkreis {kreis}", "youth_welfare"), "Jugendhilfeplanung"),
                (builder.spec(f"Sozialamt Landkreis {kreis}", "social_welfare"), "Eingliederungshilfe"),
                (builder.spec(f"Schülerbeförderung Landkreis {kreis}", "student_transport"), "Schülerbeförderung"),
                (builder.spec(f"Agentur für Arbeit {kreis}", "employment_agency"), "Berufsberatung"),
                (builder.spec(f"Freie Schule {kreis}", "private_school"), "Schulleitung"),
            ]
            bsz = builder.spec(f"Berufliches Schulzentrum {kreis}", "public_school", None, None, ["21", "22"])
            stored = []
            for spec, function in kreis_partners:
                org = upsert_organisation(session, region, spec)
                add_contact(session, org, builder.contact(spec, function))
                stored.append(org)
            community_no = 0
            for part_index, (part, communities) in enumerate(parts.items()):
                keyed = []
                for community in communities:
                    community_no += 10
                    keyed.append((community, f"{prefix}{community_no:03d}"))
                specs = _schools(builder, keyed, needs)
                if part_index == 0:
                    specs.append(bsz)
                town, town_key = keyed[0]
                town_board = builder.spec(f"Stadt {town}, Schulträger", "school_board", town, town_key)
                kita = builder.spec(f"Kita „{builder.random.choice(PATRONS)}“ {town}", "daycare", town, town_key)
                network = create_network(
                    session, region, f"kv-{slugify(kreis)}-{slugify(part)}",
                    f"Kooperationsverbund {kreis}-{part}", TEMPLATE, at,
                )
                result.networks.append(network.slug)
                members: list[tuple[Organisation, str]] = [(authority_org, MembershipRole.coordinator)]
                for spec in [*specs, town_board, kita]:
                    org = upsert_organisation(session, region, spec)
                    function = "Schulleitung" if spec.kind == "public_school" else "Ansprechperson"
                    add_contact(session, org, builder.contact(spec, function))
                    members.append((org, MembershipRole.member))
                    result.schools += spec.kind == OrganisationKind.public_school
                for org in stored:
                    guest = org.kind == OrganisationKind.private_school
                    members.append((org, MembershipRole.guest if guest else MembershipRole.member))
                session.flush()
                _join(session, network, members, at)
        result.organisations = builder.counter
        uow.commit()
    return result


def _join(session, network: Network, members: list[tuple[Organisation, str]], at: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    for org, role in members:
        add_member(session, network, org, role, at, "sample")
