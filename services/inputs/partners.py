"""What a partner does through a signed link: see the scope, give input, name a deputy, switch a channel off.

Every use case first checks that the link's contact is active and that its organisation is a
member of the link's network at that moment; input then goes through the ordinary use cases
(``services.inputs.work``, ``services.inputs.protocol``), which commit and trigger the stage's flow.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from verbund.domain.access import ChannelOptOut, StageDeputy
from verbund.domain.actors import ref
from verbund.domain.directory import ContactAction, ContactEvent
from verbund.domain.errors import InvalidInput
from verbund.domain.models import Contact, Membership, Network, Organisation
from verbund.domain.names import same_name
from verbund.domain.stages import AuditEvent
from verbund.domain.work import CATEGORY_LABELS, AnalysisEntry, Consultation, Protocol, ProtocolStatus
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import network_by_slug, stage_run, template_of
from verbund.services.app.usecase import change
from verbund.services.inputs.links import DEFAULT_DAYS, PURPOSE_LABELS, LinkError, LinkScope, partner_link
from verbund.services.inputs.work import AnalysisInput, PotentialInput, audit, record_analysis, record_potentials
from verbund.services.messaging.mail import channels_for
from verbund.services.stages.stage_gate import require_not_held, require_open


class NotAPartner(LinkError):
    """The link's contact is inactive or its organisation is no (longer a) member of the network."""


@dataclass
class PartnerView:
    contact_id: uuid.UUID
    contact_name: str
    organisation_id: uuid.UUID
    organisation: str
    network: str
    network_name: str
    stage: str
    purpose: str
    purpose_label: str
    stage_state: str
    due: str | None
    entries: dict[str, dict[str, Any]]
    protocol: dict[str, Any] | None
    channels: list[dict[str, Any]]
    deputy: str | None
    stage_title: str = ""  # the template's German name of the stage
    # the consultation a partner answers to (RSVP): when (aware datetime) and where, and its status
    meeting: dict[str, Any] | None = None


def _load(session: Session, scope: LinkScope, at: dt.datetime) -> tuple[Contact, Organisation, Network]:
    contact = session.get(Contact, scope.contact_id)
    network = session.exec(select(Network).where(Network.slug == scope.network)).first()
    if contact is None or not contact.active or network is None:
        raise NotAPartner("Dieser Link gehört zu keiner aktiven Ansprechperson mehr")
    org = session.get(Organisation, contact.organisation_id)
    members = session.exec(select(Membership).where(Membership.network_id == network.id,
                                                    Membership.organisation_id == contact.organisation_id)).all()
    if org is None or not any(m.active_at(at) for m in members):
        raise NotAPartner("Ihre Einrichtung ist nicht (mehr) Mitglied dieses Verbunds")
    return contact, org, network


def channel_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def view(app: App, scope: LinkScope) -> PartnerView:
    from verbund.notifications import redact

    at = app.now()
    with app.uow() as uow:
        session = uow.session
        contact, org, network = _load(session, scope, at)
        run = stage_run(session, network, scope.stage)
        entries = {e.category: {"text": e.text, "no_information": e.no_information, "reason": e.reason or ""}
                   for e in session.exec(select(AnalysisEntry).where(AnalysisEntry.network_id == network.id,
                                                                     AnalysisEntry.organisation_id == org.id))}
        minutes = session.exec(select(Protocol).where(Protocol.network_id == network.id)).first()
        protocol = None
        if minutes is not None and minutes.status != ProtocolStatus.draft:
            protocol = {"status": minutes.status, "body": minutes.body,
                        "deadline": minutes.objection_deadline.isoformat() if minutes.objection_deadline else None}
        off = session.exec(select(ChannelOptOut).where(ChannelOptOut.contact_id == contact.id)).all()
        channels = [{"id": channel_id(u), "label": redact(u), "on": True} for u in contact.channels]
        channels += [{"id": channel_id(o.channel), "label": redact(o.channel), "on": False} for o in off]
        deputy_row = _active_deputy(session, org, network, scope.stage)
        deputy = session.get(Contact, deputy_row.deputy_id) if deputy_row else None
        meeting = session.exec(select(Consultation).where(Consultation.network_id == network.id)).first()
        return PartnerView(contact.id, contact.name, org.id, org.name, network.slug, network.name, scope.stage,
                           scope.purpose, PURPOSE_LABELS[scope.purpose], run.state,
                           run.due.isoformat() if run.due else None, entries, protocol, channels,
                           f"{deputy.name} ({deputy.email or '—'})" if deputy else None,
                           template_of(network).stage(scope.stage).title,
                           {"starts_at": meeting.starts_at, "place": meeting.place, "status": meeting.status}
                           if meeting is not None else None)


def submit_analysis(app: App, scope: LinkScope, answers: dict[str, tuple[str, bool, str]]) -> int:
    """``answers``: category → (text, no_information, reason); blank categories are skipped."""
    _require(scope, "analysis")
    with app.uow() as uow:
        contact, org, _network = _load(uow.session, scope, app.now())
    items = []
    for category, (text, no_info, reason) in answers.items():
        if category not in CATEGORY_LABELS:
            raise InvalidInput(f"Kategorie '{category}' unbekannt")
        if text.strip() or no_info:
            items.append(AnalysisInput(str(org.id), category, text.strip(), no_info, reason.strip() or None))
    if not items:
        raise InvalidInput("Bitte mindestens eine Kategorie ausfüllen oder „keine Angaben“ mit Begründung wählen")
    return record_analysis(app, scope.network, items, by=ref("contact", contact.id))


def submit_potential(app: App, scope: LinkScope, area: str, title: str, description: str) -> int:
    _require(scope, "potentials")
    with app.uow() as uow:
        contact, org, _network = _load(uow.session, scope, app.now())
    if not title.strip():
        raise InvalidInput("Titel des Potenzials fehlt")
    item = PotentialInput(area=area, title=title.strip(), description=description.strip(), raised_by=[str(org.id)])
    return record_potentials(app, scope.network, [item], by=ref("contact", contact.id))


def submit_rsvp(app: App, scope: LinkScope, attending: bool, represented_by: str) -> None:
    """Zusage/Absage zur Beratung: recorded as an audit event the coordinator sees on the network page."""
    _require(scope, "rsvp")
    with change(app) as work:
        contact, org, network = _load(work.session, scope, work.at)
        require_open(work.session, network, "consultation")
        require_not_held(work.session, network, work.session.exec(
            select(Consultation).where(Consultation.network_id == network.id)).first())
        deputy = "" if same_name(represented_by, contact.name) else represented_by.strip()  # they are the actor
        reason = f"{org.name}: " + ((f"Zusage, vertreten durch {deputy}" if deputy else "Zusage")
                                    if attending else "Absage")
        work.audit(network, ref("contact", contact.id), "consultation", "rsvp", "accepted" if attending else "declined",
                   reason)
        work.touch(network, "consultation")


def submit_objection(app: App, scope: LinkScope, text: str) -> bool:
    """False: the same objection was already taken (a replayed form); nothing new is stored."""
    from verbund.services.inputs.protocol import object_to_protocol

    _require(scope, "objection")
    if not text.strip():
        raise InvalidInput("Bitte den Einspruch begründen")
    with app.uow() as uow:
        contact, org, _network = _load(uow.session, scope, app.now())
    return object_to_protocol(app, scope.network, organisation_id=str(org.id), text=text.strip(),
                              by=ref("contact", contact.id))


def _require(scope: LinkScope, purpose: str) -> None:
    if scope.purpose != purpose:
        raise NotAPartner(f"Dieser Link gilt nur für: {PURPOSE_LABELS[scope.purpose]}")


DEPUTY_FUNCTION = "Vertretung für "  # the function of a contact this form created


def _active_deputy(session: Session, org: Organisation, network: Network, stage: str) -> StageDeputy | None:
    return session.exec(select(StageDeputy).where(
        StageDeputy.organisation_id == org.id, StageDeputy.network_id == network.id, StageDeputy.stage == stage,
        col(StageDeputy.ended_at).is_(None))).first()


def name_deputy(app: App, scope: LinkScope, name: str, email: str) -> bool:
    """Name the organisation's deputy for the link's stage: one active deputy per organisation and
    stage (issue 15), whichever of its contacts names them. The deputy becomes a contact of the same
    organisation (so they receive the messages too). Naming the active deputy again, a replayed form
    included, stores nothing and returns False; naming another ends the previous one."""
    if not name.strip() or "@" not in email:
        raise InvalidInput("Vertretung: Name und E-Mail-Adresse angeben")
    at, email = app.now(), email.strip()
    with app.uow(write=True) as uow:
        session = uow.session
        contact, org, network = _load(session, scope, at)
        active = _active_deputy(session, org, network, scope.stage)
        current = session.get(Contact, active.deputy_id) if active else None
        if current is not None and current.active and (current.email or "").lower() == email.lower():
            return False
        deputy = _deputy_contact(app, session, contact, org, name.strip(), email, at)
        if active is not None:
            active.ended_at = at
            session.add(active)
            session.flush()  # the ended row leaves the partial unique index before the new one enters
            _retire_previous_deputy(session, active, deputy)
        session.add(StageDeputy(organisation_id=org.id, network_id=network.id, stage=scope.stage,
                                deputy_id=deputy.id, named_by=contact.id, named_at=at))
        audit(session, network, at, app.wall_time(), ref("contact", contact.id), scope.stage, "contact", "deputy_named",
              f"{org.name}: {name.strip()}")
        try:
            session.flush()
        except IntegrityError:  # another contact of the organisation named one at the same moment
            return False
        uow.commit()
    return True


def _deputy_contact(app: App, session: Session, contact: Contact, org: Organisation, name: str, email: str,
                    at: dt.datetime) -> Contact:
    """The organisation's contact with ``email`` (activated again if it was replaced), or a new one."""
    deputy = session.exec(select(Contact).where(Contact.organisation_id == org.id, Contact.email == email)).first()
    if deputy is None:
        deputy = Contact(organisation_id=org.id, name=name, email=email, function=f"{DEPUTY_FUNCTION}{contact.name}",
                         channels=[])
        session.add(deputy)
        session.flush()
        session.add(ContactEvent(contact_id=deputy.id, at=at, recorded_at=app.wall_time(),
                                 actor=ref("contact", contact.id), action=ContactAction.created,
                                 fields=["email", "function", "name"]))
    elif not deputy.active:  # named again after being replaced
        deputy.active = True
        session.add(deputy)
    return deputy


def _retire_previous_deputy(session: Session, ended: StageDeputy, deputy: Contact) -> None:
    """A deputy this form created is deactivated when another one is named (kept for the history),
    unless they still deputise for another stage, so repeated forms never pile up active contacts."""
    if ended.deputy_id == deputy.id:
        return
    previous = session.get(Contact, ended.deputy_id)
    if previous is None or not previous.active or not (previous.function or "").startswith(DEPUTY_FUNCTION):
        return
    elsewhere = session.exec(select(StageDeputy.id).where(StageDeputy.deputy_id == previous.id,
                                                          col(StageDeputy.ended_at).is_(None))).first()
    if elsewhere is None:
        previous.active = False
        session.add(previous)


def switch_channel(app: App, scope: LinkScope, channel: str, on: bool) -> None:
    """Switch one of the contact's channels off (kept aside) or on again; nothing is deleted."""
    at = app.now()
    with app.uow(write=True) as uow:
        session = uow.session
        contact, _org, _network = _load(session, scope, at)
        if not on:
            match = [u for u in contact.channels if channel_id(u) == channel]
            if not match:
                raise InvalidInput("Kanal nicht gefunden")
            contact.channels = [u for u in contact.channels if u != match[0]]
            session.add(ChannelOptOut(contact_id=contact.id, channel=match[0], opted_out_at=at))
        else:
            rows = [o for o in session.exec(select(ChannelOptOut).where(ChannelOptOut.contact_id == contact.id))
                    if channel_id(o.channel) == channel]
            if not rows:
                raise InvalidInput("Kanal nicht gefunden")
            contact.channels = [*contact.channels, rows[0].channel]
            session.delete(rows[0])
        session.add(ContactEvent(contact_id=contact.id, at=at, recorded_at=app.wall_time(),
                                 actor=ref("contact", contact.id), action=ContactAction.edited, fields=["channels"]))
        session.add(contact)
        uow.commit()


def send_fresh_link(app: App, scope: LinkScope) -> str:
    """Send a new link for the same contact, network, stage and purpose to the contact's channels.

    Returns the contact's name. At most one fresh link per contact and scope per hour is sent.
    """
    from verbund.notifications import DeliveryError, OutgoingMessage

    at = app.now()
    with app.uow() as uow:
        contact, _org, network = _load(uow.session, scope, at)
        channels = channels_for(app, contact.email, contact.channels)
        if not channels:
            raise InvalidInput("Für Sie ist kein Kanal hinterlegt; bitte wenden Sie sich an die Koordination")
        hour = at.strftime("%Y%m%d%H")
        key = hashlib.sha256(f"{contact.id}|{scope.network}|{scope.stage}|fresh|{hour}".encode()).hexdigest()[:32]
        recent = uow.session.exec(select(AuditEvent.id).where(
            AuditEvent.network_id == network.id, AuditEvent.stage == scope.stage, AuditEvent.entity == "link",
            AuditEvent.actor_ref == ref("contact", contact.id),
            col(AuditEvent.recorded_at) > app.wall_time() - dt.timedelta(hours=1),
        )).first()
    if recent is not None:  # one fresh link per hour is enough; do not let the page spam a contact
        return contact.name
    url = partner_link(app, contact.id, scope.network, scope.stage, purpose=scope.purpose)
    body = (f"Guten Tag {contact.name},\n\nhier ist Ihr neuer Link für „{PURPOSE_LABELS[scope.purpose]}“ "
            f"im Verbund {network.name}:\n{url}\n\nDer Link ist {DEFAULT_DAYS} Tage gültig.")
    message = OutgoingMessage(delivery=key, keys=(key,), channels=channels,
                              subject=f"Neuer Link: {network.name}", body=body)
    try:
        app.notifications().send(message)
    except DeliveryError as error:
        raise InvalidInput(f"Der Link konnte nicht gesendet werden: {error}") from error
    with app.uow(write=True) as uow:
        audit(uow.session, network_by_slug(uow.session, scope.network), at, app.wall_time(), ref("contact", contact.id),
              scope.stage, "link", "fresh_link_sent")
        uow.commit()
    return contact.name


def check_contact_in_network(app: App, network: str, contact_id: str) -> uuid.UUID:
    """The contact's id when it is an active contact of a current member of the network."""
    try:
        key = uuid.UUID(contact_id)
    except ValueError as error:
        raise InvalidInput("Ansprechperson: keine gültige Kennung") from error
    with app.uow() as uow:
        scope = LinkScope(key, network, "analysis", "analysis", app.wall_time())
        try:
            _load(uow.session, scope, app.now())
        except NotAPartner as error:
            raise InvalidInput(f"Ansprechperson: {error}") from error
    return key
