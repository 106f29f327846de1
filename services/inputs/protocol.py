"""Use cases of the protocol: draft, circulate with an objection deadline, object, approve
(freezes the text with a content hash), publish; recommendations become tracked items."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from verbund.domain.business_days import BusinessCalendar
from verbund.domain.errors import InvalidInput
from verbund.domain.formatting import count
from verbund.domain.formatting import local_date as german_date
from verbund.domain.models import Network
from verbund.domain.work import (
    Protocol,
    ProtocolObjection,
    ProtocolStatus,
    Recommendation,
    content_hash,
)
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import local_date
from verbund.services.app.lookup import network_by_slug, organisation, region_of
from verbund.services.app.usecase import change
from verbund.services.stages.stage_gate import require_open

STAGE = "protocol"


def _protocol(session: Session, network: Network) -> Protocol:
    found = session.exec(select(Protocol).where(Protocol.network_id == network.id)).first()
    if found is None:
        raise InvalidInput(f"Verbund '{network.slug}': noch kein Protokollentwurf")
    return found


def draft_protocol(app: App, network_slug: str, *, body: str, by: str, at: dt.datetime | None = None) -> None:
    at = at or app.now()
    if not body.strip():
        raise InvalidInput("Protokolltext ist leer")
    with change(app, at) as work:
        network = network_by_slug(work.session, network_slug)
        require_open(work.session, network, STAGE)
        found = work.session.exec(select(Protocol).where(Protocol.network_id == network.id)).first()
        if found is not None and found.status in (ProtocolStatus.approved, ProtocolStatus.published):
            raise InvalidInput(f"Verbund '{network_slug}': das Protokoll ist genehmigt und eingefroren")
        found = found or Protocol(network_id=network.id, drafted_by=by)
        found.body, found.status = body, ProtocolStatus.draft
        found.objection_deadline = found.circulated_at = None
        work.session.add(found)
        work.audit(network, by, STAGE, "protocol", "drafted")
        work.touch(network, STAGE)


def circulate_protocol(
    app: App, network_slug: str, *, objection_business_days: int, by: str, at: dt.datetime | None = None
) -> dt.date:
    """Send the draft round with an objection deadline; returns the deadline."""
    at = at or app.now()
    if objection_business_days < 1:
        raise InvalidInput("Einspruchsfrist: mindestens ein Werktag")
    with change(app, at) as work:
        network = network_by_slug(work.session, network_slug)
        require_open(work.session, network, STAGE)
        found = _protocol(work.session, network)
        if found.status != ProtocolStatus.draft:
            raise InvalidInput(
                f"Verbund '{network_slug}': nur ein Entwurf kann versandt werden (Status {found.status})"
            )
        calendar = BusinessCalendar(region_of(work.session, network).state)
        deadline = calendar.add_business_days(local_date(at), objection_business_days)
        found.status, found.circulated_at, found.objection_deadline = ProtocolStatus.circulated, at, deadline
        work.session.add(found)
        work.audit(network, by, STAGE, "protocol", "circulated",
              f"Einspruchsfrist bis {german_date(deadline)}")
        work.touch(network, STAGE)
    return deadline


def object_to_protocol(
    app: App, network_slug: str, *, organisation_id: str, text: str, at: dt.datetime | None = None,
    by: str | None = None,
) -> bool:
    """Record an objection; the same text from the same organisation again (a replayed form) stores
    nothing and returns False. ``by``: who raised it (the partner door: its contact, by reference);
    else the organisation is named."""
    at = at or app.now()
    with change(app, at) as work:
        network = network_by_slug(work.session, network_slug)
        require_open(work.session, network, STAGE)
        found = _protocol(work.session, network)
        if found.status != ProtocolStatus.circulated or found.objection_deadline is None:
            raise InvalidInput("Einsprüche sind nur gegen einen versandten Entwurf möglich")
        if local_date(at) > found.objection_deadline:
            raise InvalidInput(f"Die Einspruchsfrist endete am {german_date(found.objection_deadline)}")
        org = organisation(work.session, organisation_id)
        if work.session.exec(select(ProtocolObjection.id).where(
                ProtocolObjection.protocol_id == found.id, ProtocolObjection.organisation_id == org.id,
                ProtocolObjection.text == text)).first() is not None:
            return False  # bereits erfasst
        work.receipt("objection", found.id, org.id, text)  # a concurrent twin: IntegrityError, re-run, False
        work.session.add(ProtocolObjection(protocol_id=found.id, organisation_id=org.id, text=text, raised_at=at))
        work.audit(network, by or org.name, STAGE, "protocol", "objection", text)
        work.touch(network, STAGE)
    return True


def resolve_objections(app: App, network_slug: str, *, resolution: str, by: str, at: dt.datetime | None = None) -> int:
    at = at or app.now()
    with change(app, at) as work:
        network = network_by_slug(work.session, network_slug)
        require_open(work.session, network, STAGE)
        found = _protocol(work.session, network)
        open_rows = work.session.exec(
            select(ProtocolObjection).where(
                ProtocolObjection.protocol_id == found.id, col(ProtocolObjection.resolved_at).is_(None)
            )
        ).all()
        for row in open_rows:
            row.resolved_at, row.resolution = at, resolution
            work.session.add(row)
        work.audit(network, by, STAGE, "protocol", "objections_resolved", resolution)
        work.touch(network, STAGE)
    return len(open_rows)


def approve_protocol(app: App, network_slug: str, *, by: str, at: dt.datetime | None = None) -> str:
    """Approve after the objection deadline with no open objection; freezes the text. Returns the hash."""
    at = at or app.now()
    with change(app, at) as work:
        network = network_by_slug(work.session, network_slug)
        require_open(work.session, network, STAGE)
        found = _protocol(work.session, network)
        if found.status != ProtocolStatus.circulated or found.objection_deadline is None:
            raise InvalidInput("Nur ein mit Einspruchsfrist versandter Entwurf kann genehmigt werden")
        if local_date(at) <= found.objection_deadline:
            raise InvalidInput(f"Die Einspruchsfrist läuft bis {german_date(found.objection_deadline)}")
        open_count = len(work.session.exec(
            select(ProtocolObjection.id).where(
                ProtocolObjection.protocol_id == found.id, col(ProtocolObjection.resolved_at).is_(None)
            )
        ).all())
        if open_count:
            raise InvalidInput(count(open_count, "Einspruch ist", "Einsprüche sind") + " noch offen")
        found.status, found.approved_at, found.approved_by = ProtocolStatus.approved, at, by
        found.content_hash = content_hash(found.body)
        work.session.add(found)
        work.audit(network, by, STAGE, "protocol", "approved", found.content_hash)
        digest = found.content_hash
        work.touch(network, STAGE)
    return digest


def publish_protocol(app: App, network_slug: str, *, by: str, at: dt.datetime | None = None) -> None:
    at = at or app.now()
    with change(app, at) as work:
        network = network_by_slug(work.session, network_slug)
        require_open(work.session, network, STAGE)
        found = _protocol(work.session, network)
        if found.status != ProtocolStatus.approved:
            raise InvalidInput(f"Nur ein genehmigtes Protokoll kann veröffentlicht werden (Status {found.status})")
        found.status, found.published_at = ProtocolStatus.published, at
        work.session.add(found)
        work.audit(network, by, STAGE, "protocol", "published")
        work.touch(network, STAGE)


def record_recommendations(
    app: App, network_slug: str, titles: list[str], *, by: str, due: dt.date | None = None,
    at: dt.datetime | None = None,
) -> int:
    at = at or app.now()
    added = 0
    with change(app, at) as work:
        network = network_by_slug(work.session, network_slug)
        require_open(work.session, network, STAGE)
        existing = set(work.session.exec(select(Recommendation.title).where(Recommendation.network_id == network.id)))
        for title in titles:
            if not title.strip():
                raise InvalidInput("Empfehlung ohne Text")
            if title not in existing:
                work.session.add(Recommendation(network_id=network.id, title=title, due=due, recorded_at=at))
                existing.add(title)
                added += 1
        if added:
            work.audit(network, by, STAGE, "recommendation", "recorded", count(added, "Empfehlung", "Empfehlungen"))
        work.touch(network, STAGE)
    return added
