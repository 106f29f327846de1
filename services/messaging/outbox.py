"""Sending the outbox: claim, send, mark — and the sweep that plans first, then sends.

1. **Claim** (one transaction): due items (``pending`` and ``send_after <= now``, or ``claimed``
   longer than the lease ago, i.e. lost in flight by a crashed sweep) are grouped per contact into
   the day's one message (``delivery``), marked ``claimed``, ``attempts + 1``.
2. **Send** each message (several at once); its items' keys travel with it.
3. **Mark** each message as soon as it is sent: ``sent``, in small transactions that carry the
   marks of all messages the senders delivered meanwhile (group commit, ``_Marks``);
   or on failure ``pending`` again with a backoff, or ``failed`` after the last attempt, which plans
   an escalation to the network's coordinators.
A message is in flight from its send until its mark commits; a sender sends its next message only
after the mark of its previous one has committed, so at most one message per sender is in flight.
A crash before 3 leaves the items claimed; the next sweep after the lease sends them again under
the same keys: nothing is lost, at most the messages in flight repeat.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import Dialect, Table, bindparam, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from verbund.domain.business_days import BusinessCalendar, local_date
from verbund.domain.models import Contact, Network, Region
from verbund.domain.outbox import (
    MAX_ATTEMPTS,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    delivery_id,
    idempotency_key,
    in_send_window,
    next_send_slot,
    retry_at,
)
from verbund.notifications import (
    Attachment,
    DeliveryError,
    InvalidChannel,
    OutgoingMessage,
    consultation_ics,
    digest,
    redact,
    render,
)
from verbund.services.app.bootstrap import App
from verbund.services.app.db import serialize
from verbund.services.app.versions import bump, bump_on, bump_raw, regions_of
from verbund.services.messaging.reminders import FAILURE_PREFIX, OUTBOX_LOCK, PlanReport, plan

TABLE: Table = OutboxItem.metadata.tables["outboxitem"]
KIND_LABELS = {
    "stage_opened": "Stufe eröffnet", "reminder": "Erinnerung", "overdue": "Überfällig", "escalation": "Eskalation",
    "invitation": "Einladung", "consultation_changed": "Terminänderung", "protocol_circulated": "Protokollentwurf",
    "protocol_published": "Protokoll veröffentlicht",
    "announcement": "Mitteilung",
}


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    deferred: int = 0
    messages: int = 0


@dataclass(slots=True)
class _Item:
    """The columns of an outbox row that sending needs (plain values, no ORM object)."""

    id: uuid.UUID
    key: str
    contact_id: uuid.UUID
    network_id: uuid.UUID
    stage: str | None
    subject: str
    kind: str
    attempts: int
    delivery: str | None
    context: dict[str, Any]


_ITEM_COLUMNS = tuple(TABLE.c[column.name] for column in fields(_Item))


@dataclass
class _Delivery:
    delivery: str
    contact_id: uuid.UUID
    contact_name: str
    channels: tuple[str, ...]
    items: list[_Item] = field(default_factory=list)


def _calendars(app: App) -> dict[uuid.UUID, BusinessCalendar]:
    with app.uow() as uow:
        rows = uow.session.exec(select(Network.id, Region.state).join(Region, col(Region.id) == col(Network.region_id)))
        return {network_id: BusinessCalendar(state) for network_id, state in rows}


def claim(app: App, now: dt.datetime, lease_seconds: float) -> list[_Delivery]:
    """Claim what is due at ``now`` and may be sent now; one delivery per contact and day."""
    from verbund.services.messaging.mail import delivery_channels, sender_url

    calendars = _calendars(app)
    mail_url = sender_url(app)
    wall = dt.datetime.now(dt.UTC)
    today = local_date(now)
    open_networks = {network_id for network_id, calendar in calendars.items() if in_send_window(now, calendar)}
    with app.uow(write=True) as uow:
        session = uow.session
        serialize(session, OUTBOX_LOCK)  # concurrent sweeps (PostgreSQL): one claims, the next sees its claims
        lost = wall - dt.timedelta(seconds=lease_seconds)
        table = TABLE
        contact = Contact.metadata.tables["contact"]
        rows = session.connection().execute(
            sa_select(*_ITEM_COLUMNS, contact.c.name, contact.c.channels, contact.c.email)
            .join(contact, contact.c.id == table.c.contact_id)
            .where(or_(
                (table.c.status == OutboxStatus.pending) & (table.c.send_after <= now),
                (table.c.status == OutboxStatus.claimed) & (table.c.claimed_at <= lost),
            )).order_by(table.c.contact_id, table.c.created_at)
        ).all()
        if not rows:
            return []
        day_start = dt.datetime.combine(today, dt.time(0), tzinfo=now.tzinfo).astimezone(dt.UTC)
        already = set(session.exec(
            select(OutboxItem.contact_id).where(
                OutboxItem.status == OutboxStatus.sent, col(OutboxItem.sent_at) >= day_start,
                col(OutboxItem.delivery).is_not(None)
            )
        ).all())
        deliveries: dict[uuid.UUID, _Delivery] = {}
        deferred: list[dict[str, Any]] = []
        claimed: list[tuple[Any, ...]] = []
        width = len(_ITEM_COLUMNS)
        bucket: _Delivery | None = None
        for row in rows:
            if row.network_id not in open_networks:
                continue
            item = _Item(*row[:width])
            if bucket is None or bucket.contact_id != item.contact_id:  # rows come sorted by contact
                bucket = deliveries.get(item.contact_id) or _Delivery(
                    delivery_id(item.contact_id, today), item.contact_id, row.name,
                    delivery_channels(mail_url, row.email, row.channels))
            today_id = bucket.delivery
            if item.contact_id in already and item.delivery != today_id:
                # The contact had today's message already: this item waits for tomorrow's.
                tomorrow = next_send_slot(now + dt.timedelta(days=1), calendars[item.network_id])
                deferred.append({"b_id": item.id, "b_after": tomorrow.replace(hour=8, minute=0)})
                continue
            deliveries[item.contact_id] = bucket
            bucket.items.append(item)
            item.delivery, item.attempts = today_id, item.attempts + 1
            claimed.append((OutboxStatus.claimed.value, wall, today_id, item.attempts, item.id))
        if claimed:
            connection = session.connection()
            _update_many(connection.connection.dbapi_connection, connection.dialect,
                         ("status", "claimed_at", "delivery", "attempts"), claimed)
        if deferred:
            session.connection().execute(
                update(table).where(table.c.id == bindparam("b_id")).values(send_after=bindparam("b_after")), deferred)
        bump(session, networks={d.network_id for bucket in deliveries.values() for d in bucket.items})  # issue 20
        uow.commit()
    return list(deliveries.values())


def _update_many(dbapi_connection: Any, dialect: Dialect, columns: tuple[str, ...],
                 rows: list[tuple[Any, ...]]) -> None:
    """``UPDATE outboxitem SET <columns> WHERE id = …`` for each row (the columns' values, then the id)
    in the caller's transaction, straight through the driver's ``executemany``: the values converted by
    the columns' own types once, without SQLAlchemy's per-row statement work (claim: tens of thousands)."""
    names = (*columns, "id")
    if dialect.paramstyle not in ("qmark", "format", "pyformat"):  # pragma: no cover - drivers we do not ship
        raise RuntimeError(f"outbox: Parameterstil {dialect.paramstyle} von {dialect.name} nicht unterstützt")
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    processors = [TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]  # known columns
    assignments = ", ".join(f"{quote(name)} = {mark}" for name in columns)
    sql = f"UPDATE {quote(TABLE.name)} SET {assignments} WHERE {quote('id')} = {mark}"  # noqa: S608 - our column names
    if any(processors):
        rows = [tuple(value if process is None else process(value)
                      for process, value in zip(processors, row, strict=True)) for row in rows]
    cursor = dbapi_connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _attachment(item: _Item, now: dt.datetime) -> Attachment | None:
    if item.kind not in (OutboxKind.invitation, OutboxKind.consultation_changed):
        return None
    ctx = item.context
    content = consultation_ics(
        uid=ctx["uid"], sequence=ctx["sequence"], starts_at=dt.datetime.fromisoformat(ctx["starts_at"]), minutes=180,
        summary=f"Konstituierende Beratung {ctx['network_name']}", location=ctx["place"],
        cancelled=bool(ctx.get("cancelled")), stamp=now,
    )
    name = "absage.ics" if ctx.get("cancelled") else "einladung.ics"
    return Attachment(name, content, "text/calendar")


def compose(delivery: _Delivery, now: dt.datetime, public_url: str | None = None) -> OutgoingMessage:
    """The one message of a delivery: the items' German texts (a digest when several), .ics attached;
    each footer links the Datenschutzhinweise (``/datenschutz``) when the dashboard's URL is given."""
    extra = {"privacy_url": f"{public_url.rstrip('/')}/datenschutz"} if public_url else {}
    parts = [render(item.kind, item.context | extra) for item in delivery.items]
    subject, body = digest(parts, delivery.contact_name, local_date(now).isoformat())
    attachments = tuple(a for a in (_attachment(item, now) for item in delivery.items) if a is not None)
    return OutgoingMessage(delivery=delivery.delivery, keys=tuple(item.key for item in delivery.items),
                           channels=delivery.channels, subject=subject, body=body, attachments=attachments)


def _coordinator_link(app: App, item: _Item) -> str:
    """Where a coordinator sees the stage of a failed item: the dashboard, not the partner's token link."""
    from verbund.services.inputs.links import dashboard_stage_url

    network = str(item.context.get("network", ""))
    if network and item.stage:
        return dashboard_stage_url(app, network, item.stage)
    return str(item.context.get("link", "")).split("?", 1)[0]


def _escalate_failure(app: App, item: _Item, now: dt.datetime, calendar: BusinessCalendar) -> None:
    """Plan an escalation to the network's coordinators about a message that could not be delivered."""
    from verbund.domain.models import Membership, MembershipRole, Organisation

    with app.uow(write=True) as uow:
        session = uow.session
        failed_contact = session.get(Contact, item.contact_id)
        coordinators = session.execute(
            sa_select(*[col(c) for c in (Contact.id, Contact.name, Contact.channels, Organisation.name,
                                         Organisation.kind, Contact.email)])
            .join(Organisation, col(Organisation.id) == col(Contact.organisation_id))
            .join(Membership, col(Membership.organisation_id) == col(Organisation.id))
            .where(col(Membership.network_id) == item.network_id, col(Membership.role) == MembershipRole.coordinator,
                   col(Membership.valid_to).is_(None), col(Contact.active).is_(True))
        ).all()
        for cid, name, extra, oname, kind, address in coordinators:
            channels = bool(extra) or bool(address)
            if cid == item.contact_id or kind is None:
                continue
            key = idempotency_key(cid, FAILURE_PREFIX + item.key, OutboxKind.escalation, local_date(now))
            if session.exec(select(OutboxItem.id).where(OutboxItem.key == key)).first() is not None:
                continue
            ctx = {k: item.context.get(k, "") for k in ("network", "network_name")} | {
                "link": _coordinator_link(app, item),  # never the partner's signed link (issue 18)
                "contact_name": name, "organisation": oname, "reason": "failed", "attempts": item.attempts,
                "reason_title": "Nachricht nicht zustellbar",
                "failed_kind_label": KIND_LABELS.get(item.kind, item.kind),
                "failed_contact": failed_contact.name if failed_contact else "?",
                "failed_organisation": item.context.get("organisation", ""), "key": key,
            }
            session.add(OutboxItem(
                key=key, contact_id=cid, network_id=item.network_id, stage=item.stage,
                subject=FAILURE_PREFIX + item.key, kind=OutboxKind.escalation, due=local_date(now),
                send_after=next_send_slot(now, calendar), created_at=now, context=ctx,
                status=OutboxStatus.pending if channels else OutboxStatus.suppressed,
                last_error=None if channels else "keine Kanäle hinterlegt",
            ))
        uow.commit()


_SQLITE_WRITER = threading.Lock()


def _one_writer(app: App) -> AbstractContextManager[Any]:
    """SQLite takes one writer at a time and makes the others poll with sleeps (``busy_timeout``):
    with several senders marking, queueing them on a lock here is much faster. Other databases: no lock."""
    return _SQLITE_WRITER if app.engine.dialect.name == "sqlite" else nullcontext()


def _mark_failure(app: App, delivery: _Delivery, error: DeliveryError, now: dt.datetime,
                  calendars: dict[uuid.UUID, BusinessCalendar], report: SendReport, counting: threading.Lock) -> None:
    table = TABLE
    text = str(error)[:300]
    failed = [i for i in delivery.items if isinstance(error, InvalidChannel) or i.attempts >= MAX_ATTEMPTS]
    with _one_writer(app), app.engine.begin() as connection:
        for item in delivery.items:
            if item in failed:
                values: dict[str, Any] = {"status": OutboxStatus.failed, "last_error": text}
            else:
                values = {"status": OutboxStatus.pending, "last_error": text,
                          "send_after": retry_at(now, item.attempts, calendars[item.network_id])}
            connection.execute(update(table).where(table.c.id == item.id).values(**values))
        bump_on(connection, networks={item.network_id for item in delivery.items})  # issue 20: the pages' counts
    with counting:
        report.failed += len(failed)
        report.retrying += len(delivery.items) - len(failed)
    for item in failed:
        if not item.subject.startswith(FAILURE_PREFIX):
            _escalate_failure(app, item, now, calendars[item.network_id])


@dataclass(slots=True)
class _Mark:
    ids: list[uuid.UUID]
    networks: set[uuid.UUID]
    done: bool = False


class _Marks:
    """Marks delivered messages ``sent`` in small batches (group commit).

    A sender queues its message's mark after sending and settles it only right before it sends its
    next message: whichever sender settles first commits every queued mark in one transaction, the
    others find theirs done. So at most one message per sender is ever sent but not yet marked —
    the messages in flight — while a transaction carries the marks of several senders.
    """

    def __init__(self, app: App, now: dt.datetime) -> None:
        self._app = app
        self._now = now
        self._queued: list[_Mark] = []
        self._queue_lock = threading.Lock()
        self._committing = threading.Lock()
        self._connection: Any = None  # a DBAPI connection of the engine's pool, opened on the first mark
        self._error: BaseException | None = None
        self.sent = 0
        self.transactions = 0

    def __enter__(self) -> _Marks:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._committing:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def queue(self, delivery: _Delivery) -> _Mark:
        mark = _Mark([item.id for item in delivery.items], {item.network_id for item in delivery.items})
        with self._queue_lock:
            self._queued.append(mark)
        return mark

    def settle(self, mark: _Mark) -> None:
        """Return once ``mark`` has committed (committing the queued marks if nobody else is)."""
        if not mark.done:
            with self._committing:
                if not mark.done and self._error is None:
                    with self._queue_lock:
                        batch, self._queued = self._queued, []
                    try:
                        self._commit([i for queued in batch for i in queued.ids],
                                     {n for queued in batch for n in queued.networks})
                    except BaseException as error:  # every sender stops; the items stay claimed
                        self._error = error
                    else:
                        for queued in batch:
                            queued.done = True
        if not mark.done:
            raise RuntimeError("Versand abgebrochen: Zustellungen konnten nicht als gesendet markiert werden "
                               f"({type(self._error).__name__})") from self._error

    def _commit(self, ids: list[uuid.UUID], networks: set[uuid.UUID]) -> None:
        # One short transaction straight through the driver: with a few marks per transaction,
        # SQLAlchemy's statement and event work would cost more than the database does.
        engine = self._app.engine
        if self._connection is None:
            self._connection = engine.raw_connection()
        connection = self._connection
        regions = regions_of(engine, networks)  # read before the transaction (cached: networks never move)
        with _one_writer(self._app):
            try:
                if engine.dialect.name == "sqlite":  # autocommit driver mode (services.app.db): begin ourselves
                    connection.driver_connection.execute("BEGIN IMMEDIATE")
                _update_many(connection, engine.dialect, ("status", "sent_at", "last_error"),
                             [(OutboxStatus.sent.value, self._now, None, i) for i in ids])
                bump_raw(connection, engine.dialect, networks, regions)  # issue 20: in the marks' transaction
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
        self.sent += len(ids)
        self.transactions += 1


def _send(app: App, message: OutgoingMessage) -> DeliveryError | None:
    try:
        app.notifications().send(message)
    except DeliveryError as error:
        return error
    except Exception as error:  # a bug or a library error must not leave the batch claimed
        return DeliveryError(f"Fehler beim Senden ({type(error).__name__})")
    return None


def send_due(app: App, now: dt.datetime) -> SendReport:
    """Claim, send and mark everything that is due at ``now`` (several messages at once)."""
    settings = app.notification_settings
    report = SendReport()
    deliveries = claim(app, now, settings.outbox_lease_seconds)
    if not deliveries:
        return report
    calendars = _calendars(app)
    report.messages = len(deliveries)
    counting = threading.Lock()
    # Composed here, in one go: rendering in the senders costs several times more under the GIL.
    queued = iter([(delivery, compose(delivery, now, settings.public_url)) for delivery in deliveries])
    taking = threading.Lock()

    def sender(marks: _Marks) -> None:
        # A sender sends its next message only once the mark of its previous one has committed: what
        # a crash can repeat is at most one message per sender, never a backlog of unmarked ones.
        previous: _Mark | None = None
        while True:
            with taking:
                entry = next(queued, None)
            if entry is None:
                break
            delivery, message = entry
            if previous is not None:
                marks.settle(previous)
                previous = None
            error = _send(app, message)
            if error is None:
                previous = marks.queue(delivery)
            else:
                _mark_failure(app, delivery, error, now, calendars, report, counting)
        if previous is not None:
            marks.settle(previous)

    threads = min(settings.send_concurrency, len(deliveries))
    # The claimed deliveries live until the end: keep the cyclic collector's full walks (triggered by
    # what sending allocates) from visiting them again and again.
    # A process that froze its heap itself (``verbund serve`` at start) keeps its freeze: unfreezing
    # would hand its start-up objects back to the collector.
    freezing = gc.get_freeze_count() == 0
    if freezing:
        gc.freeze()
    try:
        with _Marks(app, now) as marks, ThreadPoolExecutor(max_workers=threads, thread_name_prefix="outbox") as pool:
            for future in [pool.submit(sender, marks) for _ in range(threads)]:
                future.result()
    finally:
        if freezing:
            gc.unfreeze()
    report.sent += marks.sent
    return report


@dataclass
class SweepReport:
    planned: int
    sent: int
    failed: int
    suppressed: int
    retrying: int = 0
    messages: int = 0
    contacts_without_channel: list[str] = field(default_factory=list)
    unreachable_members: list[dict[str, Any]] = field(default_factory=list)  # per network (services.messaging.reach)
    warnings: list[str] = field(default_factory=list)  # Schulferien not known for a date (services.app.ferien)

    def to_dict(self) -> dict[str, Any]:
        return {"planned": self.planned, "sent": self.sent, "failed": self.failed, "suppressed": self.suppressed,
                "retrying": self.retrying, "messages": self.messages,
                "contacts_without_channel": self.contacts_without_channel,
                "unreachable_members": self.unreachable_members, "warnings": self.warnings}


def sweep(app: App, at: dt.datetime | None = None, *, dry_run: bool = False) -> SweepReport:
    """One reminder sweep at ``at`` (default: the app's clock): plan, then send what is due."""
    now = at or app.now()
    planned: PlanReport = plan(app, now, dry_run=dry_run)
    sent = SendReport() if dry_run else send_due(app, now)
    from verbund.services.messaging.reach import unreachable_by_network

    with app.uow(read_only=True) as uow:
        unreachable = unreachable_by_network(uow.session, now)
    return SweepReport(planned.planned, sent.sent, sent.failed, planned.suppressed, sent.retrying, sent.messages,
                       planned.without_channel, unreachable, planned.warnings)


def outbox_messages(app: App, network: str | None = None, status: str | None = None) -> dict[str, Any]:
    """``{"messages": [{"key", "delivery", "contact", "network", "stage", "kind", "status", "attempts", "sent_at"}]}``.

    ``contact`` is the contact's name (never a channel URL); ``last_error`` is redacted at the source.
    """
    with app.uow() as uow:
        query = (select(OutboxItem, Contact.name, Network.slug)
                 .join(Contact, col(Contact.id) == col(OutboxItem.contact_id))
                 .join(Network, col(Network.id) == col(OutboxItem.network_id)))
        if network:
            query = query.where(Network.slug == network)
        if status:
            query = query.where(OutboxItem.status == status)
        rows = uow.session.exec(query.order_by(col(OutboxItem.created_at), col(OutboxItem.key))).all()
        return {"messages": [
            {"key": item.key, "delivery": item.delivery, "contact": name, "network": slug, "stage": item.stage,
             "kind": item.kind, "status": item.status, "attempts": item.attempts,
             "sent_at": item.sent_at.isoformat() if item.sent_at else None, "last_error": item.last_error}
            for item, name, slug in rows
        ]}


def iter_channels_redacted(channels: list[str]) -> Iterator[str]:
    """Channel URLs as ``scheme://host`` for display."""
    return (redact(url) for url in channels)
