"""Apply what an adapter read: one transaction, idempotent upsert by (source, source id).

A school that is marked closed, or that the file no longer lists in a region the file covers, is
closed on that date, never deleted; its memberships end then. A dry run takes the same path and
rolls back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, or_, select

from verbund.domain.business_days import BERLIN, local_date
from verbund.domain.models import Membership, NotImportedSchool, Organisation
from verbund.domain.stages import AuditEvent
from verbund.services.app.bootstrap import App
from verbund.services.app.versions import bump
from verbund.services.directory.setup import upsert_region
from verbund.services.importers.base import Adapter, Parsed, Problem, SchoolRecord

Progress = Callable[[int, int], None]
COMPARED = ("name", "kind", "region_id", "community", "community_key", "school_types", "special_needs",
            "latitude", "longitude", "in_scope", "out_of_scope_reason", "closed_at", "import_notes", "service_key")
BATCH = 2000


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    out_of_scope: int = 0
    not_imported: int = 0
    rejected: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged, "closed": self.closed,
            "out_of_scope": self.out_of_scope, "not_imported": self.not_imported,
            "rejected": [p.to_dict() for p in self.rejected],
            "notes": [p.to_dict() for p in self.notes], "source": self.source, "dry_run": self.dry_run,
        }


def import_file(
    app: App, adapter: Adapter, path: Path, *, dry_run: bool = False, at: dt.datetime | None = None,
    close_missing: bool = True, progress: Progress | None = None,
) -> ImportReport:
    """Read ``path`` with ``adapter`` and store it in one transaction (rolled back for a dry run)."""
    at = at or app.now()
    parsed = adapter.parse(path, local_date(at))
    with app.uow(write=True) as uow:
        report = apply_parsed(uow.session, parsed, at, close_missing=close_missing, progress=progress)
        report.dry_run = dry_run
        if not dry_run:
            uow.commit()
    return report


def apply_parsed(
    session: Session, parsed: Parsed, at: dt.datetime, *, close_missing: bool = True,
    progress: Progress | None = None,
) -> ImportReport:
    report = ImportReport(parsed.source, False, rejected=list(parsed.rejected), notes=list(parsed.notes))
    region_ids = _regions(session, parsed)
    existing = _existing(session, parsed.source)
    creates: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    closing: list[tuple[uuid.UUID, dt.datetime]] = []
    total = len(parsed.records)
    for done, record in enumerate(parsed.records, start=1):
        values = _values(record, region_ids)
        report.out_of_scope += record.out_of_scope_reason is not None
        old = existing.get(record.source_id)
        _keep_joined(values, old)
        if old is None:
            values.update(id=uuid.uuid4(), source=parsed.source, source_id=record.source_id)
            creates.append(values)
            report.created += 1
        elif all(old[name] == values[name] for name in COMPARED):
            report.unchanged += 1
        else:
            updates.append({"id": old["id"], **values})
            report.updated += 1
        newly_closed = values["closed_at"] is not None and (old is None or old["closed_at"] is None)
        if newly_closed:
            closing.append((old["id"] if old else values["id"], values["closed_at"]))
        if progress and (done % BATCH == 0 or done == total):
            progress(done, total)
    if close_missing:
        closing += _missing(parsed, existing, set(region_ids.values()), at, updates)
    report.closed = len(closing)
    for start in range(0, len(creates), BATCH):
        session.execute(insert(Organisation), creates[start:start + BATCH])
    if updates:
        session.execute(update(Organisation), updates)
    _end_memberships(session, closing, at)
    report.not_imported = _store_not_imported(session, parsed, region_ids, at)
    changed = [row["id"] for row in (*creates, *updates)] + [oid for oid, _closed in closing]
    bump(session, organisations=changed, regions=region_ids.values())  # issue 20: pages of these change
    session.flush()
    return report


def _keep_joined(values: dict[str, Any], old: dict[str, Any] | None) -> None:
    """A source without coordinates (the Saxon API) keeps those joined by ``import coordinates``, and one
    without a Dienststellenschlüssel keeps the stored one (issue 13)."""
    if old is None:
        return
    if values["latitude"] is None and values["longitude"] is None:
        values["latitude"], values["longitude"] = old["latitude"], old["longitude"]
    if values["service_key"] is None:
        values["service_key"] = old["service_key"]


def _regions(session: Session, parsed: Parsed) -> dict[str, uuid.UUID]:
    regions = {slug: upsert_region(session, ref.slug, ref.name, ref.state, ref.parent)
               for slug, ref in parsed.regions.items()}
    session.flush()
    return {slug: region.id for slug, region in regions.items()}


def _existing(session: Session, source: str) -> dict[str, dict[str, Any]]:
    columns = [col(Organisation.id), col(Organisation.source_id), *(getattr(Organisation, n) for n in COMPARED)]
    rows = session.exec(select(*columns).where(Organisation.source == source)).all()
    return {row[1]: {"id": row[0], **dict(zip(COMPARED, row[2:], strict=True))} for row in rows}


def _values(record: SchoolRecord, region_ids: dict[str, uuid.UUID]) -> dict[str, Any]:
    closed_at = None
    if record.closed_on is not None:
        closed_at = dt.datetime.combine(record.closed_on, dt.time(), BERLIN).astimezone(dt.UTC)
    return {
        "name": record.name, "kind": record.kind,
        "region_id": region_ids[record.region.slug] if record.region else None,
        "community": record.community, "community_key": record.community_key,
        "school_types": record.school_types, "special_needs": record.special_needs,
        "latitude": record.latitude, "longitude": record.longitude, "in_scope": record.in_scope,
        "out_of_scope_reason": record.out_of_scope_reason, "closed_at": closed_at,
        "import_notes": [f"{note.field}: {note.reason}" for note in record.notes],
        "service_key": record.service_key,
    }


def _store_not_imported(session: Session, parsed: Parsed, region_ids: dict[str, uuid.UUID], at: dt.datetime) -> int:
    """Replace this source's "nicht importiert" rows in the regions the file covers (and of the ids it
    lists) by the file's in-scope rows that were rejected this time."""
    covered = set(region_ids.values())
    for old in session.exec(select(NotImportedSchool).where(NotImportedSchool.source == parsed.source)).all():
        if old.region_id in covered or (old.source_id is not None and old.source_id in parsed.seen):
            session.delete(old)
    session.flush()
    for row in parsed.not_imported:
        session.add(NotImportedSchool(
            source=parsed.source, source_id=row.source_id, name=row.name, region_id=region_ids[row.region.slug],
            location=row.where, field=row.field, reason=row.reason, recorded_at=at.astimezone(dt.UTC)))
    return len(parsed.not_imported)


def _missing(
    parsed: Parsed, existing: dict[str, dict[str, Any]], covered: set[uuid.UUID], at: dt.datetime,
    updates: list[dict[str, Any]],
) -> list[tuple[uuid.UUID, dt.datetime]]:
    """Schools of this source in a region the file covers that the file no longer lists: closed at ``at``."""
    closing = []
    for source_id, old in existing.items():
        if source_id in parsed.seen or old["closed_at"] is not None or old["region_id"] not in covered:
            continue
        updates.append({"id": old["id"], "closed_at": at.astimezone(dt.UTC)})
        closing.append((old["id"], at))
    return closing


def _end_memberships(session: Session, closing: list[tuple[uuid.UUID, dt.datetime]], at: dt.datetime) -> None:
    """Memberships of closed schools end on the closing day (or when they began, if later)."""
    for organisation_id, closed_at in closing:
        memberships = session.exec(
            select(Membership).where(
                Membership.organisation_id == organisation_id,
                or_(col(Membership.valid_to).is_(None), col(Membership.valid_to) > closed_at),
            )
        ).all()
        for membership in memberships:
            membership.valid_to = max(closed_at, membership.valid_from)
            session.add(membership)
            session.add(AuditEvent(
                at=closed_at, recorded_at=at, actor="import", network_id=membership.network_id,
                entity="membership", action="ended", reason="Schule geschlossen (Schuldatenimport)",
                detail={"organisation_id": str(organisation_id)},
            ))
