"""Never silently skip a partner: the member organisations of each network that no message reaches.

A member is unreachable when it has no active contact, or none with an e-mail address or a further
channel. The reminder sweep, ``verbund status --json``, ``verbund coverage --json`` and the analysis
stage's unmet criteria count and name them per network (guests are not asked for anything).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from verbund.domain.models import Contact, Membership, MembershipRole, Network, Organisation

NO_CONTACT = "keine aktive Ansprechperson"
NO_CHANNEL = "keine Ansprechperson mit E-Mail-Adresse oder Kanal"
PROBED_NETWORKS = 50  # up to this many networks (a region's), members are probed one by one (issue 20)


def unreachable_members(session: Session, at: dt.datetime,
                        network_ids: list[uuid.UUID] | None = None) -> dict[uuid.UUID, list[tuple[str, str]]]:
    """network id → [(organisation name, reason)] of the members at ``at`` that no message reaches.

    SQLAlchemy Core on the tables: ``verbund status`` runs this on every start, and an ORM query's
    first compile and mapper configuration cost it more than the query (issue 14). The database
    leaves out every member with an active contact that has an e-mail address (almost all of them:
    one index probe each, no contact rows); only the rest have their contacts' channels read and
    judged here, by ``contact_reach``, so the answer is exactly that definition's (issue 20: the
    overview loaded every contact of 100 networks per request)."""
    memberships, organisations = Membership.__table__, Organisation.__table__  # type: ignore[attr-defined]
    m, o, c = memberships.c, organisations.c, Contact.__table__.c  # type: ignore[attr-defined]
    emailed_query = select(c.organisation_id).where(c.organisation_id == m.organisation_id, c.active.is_(True),
                                                    c.email.is_not(None), c.email != "")
    if network_ids is not None and len(network_ids) <= PROBED_NETWORKS:
        # ``OFFSET 0``: PostgreSQL (with statistics) turned the NOT EXISTS into an anti join that
        # hashed all 40,000 contacts of the country for a region's 2,000 members; kept a subquery,
        # it probes ``ix_contact_reachable`` once per member, as SQLite does anyway
        emailed_query = emailed_query.offset(0)
    emailed = emailed_query.exists()
    query = (select(m.network_id, o.id, o.name).join_from(memberships, organisations, o.id == m.organisation_id)
             .where(m.valid_from <= at, or_(m.valid_to.is_(None), m.valid_to > at),
                    or_(o.closed_at.is_(None), o.closed_at > at), m.role != MembershipRole.guest.value, ~emailed))
    if network_ids is not None:
        query = query.where(m.network_id.in_(network_ids))
    members = session.connection().execute(query).all()
    reach = contact_reach(session, [organisation_id for _n, organisation_id, _name in members])
    found: dict[uuid.UUID, set[tuple[str, str]]] = defaultdict(set)
    for network_id, organisation_id, name in members:
        if not reach.get(organisation_id, False):
            found[network_id].add((name, NO_CONTACT if organisation_id not in reach else NO_CHANNEL))
    return {network_id: sorted(rows) for network_id, rows in found.items()}


def contact_reach(session: Session, organisation_ids: list[uuid.UUID]) -> dict[uuid.UUID, bool]:
    """organisation id → whether an active contact has an e-mail address or a channel (absent: no active contact)."""
    reach: dict[uuid.UUID, bool] = {}
    wanted = list(set(organisation_ids))
    c = Contact.__table__.c  # type: ignore[attr-defined]
    for start in range(0, len(wanted), 500):
        for organisation_id, email, channels in session.connection().execute(
                select(c.organisation_id, c.email, c.channels)
                .where(c.active.is_(True), c.organisation_id.in_(wanted[start:start + 500]))):
            reach[organisation_id] = reach.get(organisation_id, False) or bool(email) or bool(channels)
    return reach


def summary(rows: list[tuple[str, str]]) -> dict[str, Any]:
    """``{"count": N, "organisations": [{"name", "reason"}]}`` for the JSON outputs."""
    return {"count": len(rows), "organisations": [{"name": name, "reason": reason} for name, reason in rows]}


def unreachable_by_network(session: Session, at: dt.datetime) -> list[dict[str, Any]]:
    """``[{"network", "count", "organisations"}]`` for the networks with unreachable members."""
    n = Network.__table__.c  # type: ignore[attr-defined]
    slugs: dict[uuid.UUID, str] = {row.id: row.slug for row in session.connection().execute(select(n.id, n.slug))}
    rows = unreachable_members(session, at)
    return [{"network": slugs[network_id], **summary(found)}
            for network_id, found in sorted(rows.items(), key=lambda item: slugs[item[0]])]
