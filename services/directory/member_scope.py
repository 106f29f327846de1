"""Who may join a network, and whose ids a network's forms accept (issue 15).

A network takes organisations of its own region, plus Land-wide partners (``region_id`` empty,
``land`` = the region's Land) of the partner kinds its template names. Every form that takes an
organisation id (analysis, potential, goal owner, attendance) accepts only active members.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from verbund.domain.errors import InvalidInput
from verbund.domain.models import Membership, Network, Organisation, Region
from verbund.services.app.lookup import template_of


def eligible(session: Session, network: Network) -> Any:
    """The SQL condition on ``Organisation`` for who may be added to ``network``."""
    region = session.get(Region, network.region_id)
    kinds = list(template_of(network).partner_kinds)
    land_wide = and_(col(Organisation.region_id).is_(None), col(Organisation.land) == (region.state if region else ""),
                     col(Organisation.kind).in_(kinds))
    return or_(col(Organisation.region_id) == network.region_id, land_wide)


def require_eligible(session: Session, network: Network, organisation: Organisation) -> None:
    found = session.exec(select(Organisation.id).where(Organisation.id == organisation.id,
                                                      eligible(session, network))).first()
    if found is None:
        raise InvalidInput(f"Organisation: {organisation.name} gehört weder zur Region des Verbunds {network.name} "
                           "noch ist sie ein landesweiter Partner einer Partnerart der Vorlage; bitte die "
                           "Prozessverantwortlichen fragen")


def require_member(session: Session, network: Network, organisation_id: str, at: dt.datetime,
                   field: str = "Organisation") -> Organisation:
    """The organisation when it is an active member of ``network`` at ``at``; else a German refusal."""
    try:
        key = uuid.UUID(str(organisation_id))
    except ValueError as error:
        raise InvalidInput(f"{field}: keine gültige Kennung") from error
    organisation = session.get(Organisation, key)
    rows = session.exec(select(Membership).where(Membership.network_id == network.id,
                                                 Membership.organisation_id == key)).all()
    if organisation is None or not any(m.active_at(at) for m in rows):
        raise InvalidInput(f"{field}: {organisation.name if organisation else organisation_id} ist kein aktives "
                           f"Mitglied von {network.name}")
    return organisation
