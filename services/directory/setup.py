"""Set-up use cases: regions, networks, organisations, contacts and memberships."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlmodel import Session, select

from verbund.domain.errors import InvalidInput
from verbund.domain.formatting import local_date
from verbund.domain.models import Contact, Membership, MembershipRole, Network, Organisation, OrganisationKind, Region
from verbund.domain.process import load_template
from verbund.domain.slugs import is_slug
from verbund.domain.stages import AuditEvent
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import current_stage, ensure_stage_runs, network_by_slug, region_by_slug


@dataclass
class OrganisationSpec:
    source: str
    source_id: str
    name: str
    kind: str
    community: str | None = None
    community_key: str | None = None
    school_types: list[str] = field(default_factory=list)
    special_needs: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class ContactSpec:
    organisation: tuple[str, str]  # (source, source_id)
    name: str
    email: str | None
    function: str | None = None
    channels: list[str] = field(default_factory=list)


def upsert_region(session: Session, slug: str, name: str, state: str, parent: str | None = None) -> Region:
    if not is_slug(slug) or not slug.startswith(state.lower() + "-"):
        raise InvalidInput(f"Region '{slug}': Slug muss [a-z0-9-]+ sein und mit '{state.lower()}-' beginnen")
    region = session.exec(select(Region).where(Region.slug == slug)).first()
    if region is None:
        region = Region(slug=slug, name=name, state=state, parent=parent)
    else:
        region.name, region.state, region.parent = name, state, parent
    session.add(region)
    return region


def upsert_organisation(session: Session, region: Region | None, spec: OrganisationSpec) -> Organisation:
    if spec.kind not in OrganisationKind.__members__:
        raise InvalidInput(f"Organisation '{spec.name}': unbekannte Art '{spec.kind}'")
    found = session.exec(
        select(Organisation).where(Organisation.source == spec.source, Organisation.source_id == spec.source_id)
    ).first()
    values = {k: v for k, v in vars(spec).items()}
    values["region_id"] = region.id if region else None
    if found is None:
        found = Organisation.model_validate(values)
    else:
        for key, value in values.items():
            setattr(found, key, value)
    session.add(found)
    return found


def create_network(
    session: Session, region: Region, slug: str, name: str, template: str, at: dt.datetime
) -> Network:
    if not is_slug(slug):
        raise InvalidInput(f"Verbund '{slug}': Slug muss [a-z0-9-]+ sein")
    load_template(template)
    network = session.exec(select(Network).where(Network.slug == slug)).first()
    if network is None:
        network = Network(slug=slug, name=name, region_id=region.id, template=template, created_at=at)
        session.add(network)
        session.flush()
    ensure_stage_runs(session, network)
    return network


def ensure_open(network: Network, refused: str = "ihm kann keine Schule mehr zugeordnet werden") -> None:
    """Refuse any assignment or new membership for a closed network (every door: rules, mapping,
    ``assign school``, the accepted suggestion, ``school move``, partners and the dashboard)."""
    if network.closed_at is not None:
        reason = f" ({network.closed_reason})" if network.closed_reason else ""
        raise InvalidInput(f"Verbund '{network.slug}' ({network.name}) ist seit {local_date(network.closed_at)} "
                           f"geschlossen{reason}; {refused}")


def add_member(
    session: Session, network: Network, organisation: Organisation, role: str, at: dt.datetime, actor: str
) -> Membership:
    if role not in MembershipRole.__members__:
        raise InvalidInput(f"unbekannte Rolle '{role}' (erlaubt: {', '.join(MembershipRole.__members__)})")
    existing = session.exec(
        select(Membership).where(
            Membership.network_id == network.id,
            Membership.organisation_id == organisation.id,
            Membership.valid_to == None,  # noqa: E711
        )
    ).first()
    if existing is not None:
        return existing
    ensure_open(network, "er nimmt keine neuen Mitglieder mehr auf")
    membership = Membership(network_id=network.id, organisation_id=organisation.id, role=role, valid_from=at)
    session.add(membership)
    session.add(
        AuditEvent(at=at, recorded_at=at, actor=actor, network_id=network.id, entity="membership",
                   action="added", reason=f"{organisation.name} ({load_template(network.template).role_label(role)})")
    )
    return membership


def add_contact(session: Session, organisation: Organisation, spec: ContactSpec) -> Contact:
    found = session.exec(
        select(Contact).where(Contact.organisation_id == organisation.id, Contact.name == spec.name)
    ).first()
    if found is None:
        found = Contact(organisation_id=organisation.id, name=spec.name, email=spec.email,
                        function=spec.function, channels=list(spec.channels))
    else:
        found.email, found.function, found.channels = spec.email, spec.function, list(spec.channels)
    session.add(found)
    return found


def add_member_by_slug(
    app: App, network_slug: str, organisation_id: uuid.UUID, role: str = "member",
    at: dt.datetime | None = None, actor: str = "system",
) -> None:
    from verbund.services.app.usecase import change

    with change(app, at) as work:
        network = network_by_slug(work.session, network_slug)
        organisation = work.session.get(Organisation, organisation_id)
        if organisation is None:
            raise InvalidInput(f"Organisation {organisation_id} existiert nicht")
        from verbund.services.directory.member_scope import require_eligible

        require_eligible(work.session, network, organisation)
        add_member(work.session, network, organisation, role, work.at, actor)
        work.touch(network, current_stage(work.session, network))


def region_networks(app: App, region_slug: str) -> list[str]:
    with app.uow() as uow:
        region = region_by_slug(uow.session, region_slug)
        return list(uow.session.exec(select(Network.slug).where(Network.region_id == region.id).order_by(Network.slug)))
