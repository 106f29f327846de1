"""Many messages for one network of the dashboard world (the network page's lists, issue 20)."""

from __future__ import annotations

import datetime as dt

from dashboard_world import World

from verbund.domain.outbox import OutboxItem, idempotency_key
from verbund.services.app.lookup import network_by_slug

KINDS = ("reminder", "overdue", "invitation", "announcement")
STATUSES = ("sent", "sent", "failed", "pending", "suppressed")


def add_messages(world: World, slug: str, count: int) -> None:
    """``count`` messages to one member contact, one a minute, kinds and statuses in turn; the last is the newest."""
    contact = world.contact_of(slug)
    start = world.app.now() - dt.timedelta(days=30)
    with world.app.uow(write=True) as uow:
        network = network_by_slug(uow.session, slug)
        for i in range(count):
            at = start + dt.timedelta(minutes=i)
            kind, status = KINDS[i % len(KINDS)], STATUSES[i % len(STATUSES)]
            subject = f"test-{i}"
            uow.session.add(OutboxItem(key=idempotency_key(contact, subject, kind, at.date()), contact_id=contact,
                                       network_id=network.id, stage="analysis", subject=subject, kind=kind,
                                       due=at.date(), send_after=at, status=status, attempts=1 if status != "pending"
                                       else 0, sent_at=at if status == "sent" else None, created_at=at,
                                       context={"n": i}))
        uow.commit()
