"""Retention (Art. 5(1)(e) DSGVO): what messages said is kept only as long as needed.

``purge`` clears, for outbox items sent (or given up: failed, suppressed) more than
``VERBUND_RETENTION_DAYS`` (default 90) days ago, the stored context from which the text was
rendered (names, link tokens) and deletes their copies in the local mailbox. Keys, status, attempts
and times stay, so nothing is sent again and ``verbund outbox`` and the reports still count them.
Expired login sessions and invitations are deleted. Contacts deactivated more than
``VERBUND_INACTIVE_DAYS`` (default 730) days ago are listed (ids, organisations) for a decision:
erase them with ``verbund privacy forget`` or keep them with a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Text, cast, delete, func, or_, update
from sqlmodel import col, select

from verbund.domain.access import UserSession
from verbund.domain.directory import ContactAction, ContactEvent, Invitation
from verbund.domain.models import Contact, Organisation
from verbund.domain.outbox import OutboxItem, OutboxStatus
from verbund.services.app.bootstrap import App
from verbund.services.app.usecase import change
from verbund.services.privacy.mail_copies import mailbox_files, mailbox_root
from verbund.services.privacy.person import ERASED


class RetentionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VERBUND_", extra="ignore")

    retention_days: int = Field(default=90, ge=1)
    inactive_days: int = Field(default=730, ge=1)


@dataclass
class PurgeReport:
    dry_run: bool
    cutoff: dt.datetime
    contexts_cleared: int = 0
    mailbox_files_deleted: int = 0
    sessions_deleted: int = 0
    invitations_deleted: int = 0
    inactive_contacts: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "cutoff": self.cutoff.isoformat(), "contexts_cleared": self.contexts_cleared,
                "mailbox_files_deleted": self.mailbox_files_deleted, "sessions_deleted": self.sessions_deleted,
                "invitations_deleted": self.invitations_deleted, "inactive_contacts": self.inactive_contacts}


def _expired_rows(cutoff: dt.datetime) -> Any:
    done = (col(OutboxItem.status) == OutboxStatus.sent) & (col(OutboxItem.sent_at) < cutoff)
    given_up = col(OutboxItem.status).in_((OutboxStatus.failed, OutboxStatus.suppressed)) & (
        col(OutboxItem.created_at) < cutoff)
    return or_(done, given_up)


def _inactive(app: App, since: dt.datetime) -> list[dict[str, str]]:
    with app.uow(read_only=True) as uow:
        last = (select(ContactEvent.contact_id, func.max(ContactEvent.at).label("at"))
                .where(col(ContactEvent.action) == ContactAction.deactivated).group_by(col(ContactEvent.contact_id))
                .subquery())
        rows = uow.session.exec(
            select(Contact.id, Organisation.name, last.c.at).join(last, last.c.contact_id == Contact.id)
            .join(Organisation, col(Organisation.id) == col(Contact.organisation_id))
            .where(col(Contact.active).is_(False), col(Contact.name) != ERASED, last.c.at < since)).all()
    return [{"id": str(cid), "organisation": org, "inactive_since": at.isoformat()} for cid, org, at in rows]


def purge(app: App, *, dry_run: bool = False, now: dt.datetime | None = None) -> PurgeReport:
    """Clear what is past the retention period (``dry_run``: count only). Counts and ids, never names."""
    settings = RetentionSettings()
    now = now or app.now()
    wall = app.wall_time()
    report = PurgeReport(dry_run, now - dt.timedelta(days=settings.retention_days))
    with change(app, now) as work:
        session = work.session
        expired = set(session.exec(select(OutboxItem.key).where(_expired_rows(report.cutoff))).all())
        filled = _expired_rows(report.cutoff) & (cast(col(OutboxItem.context), Text) != "{}")
        report.contexts_cleared = session.exec(select(func.count()).select_from(OutboxItem).where(filled)).one()
        report.sessions_deleted = len(session.exec(select(UserSession.id).where(
            col(UserSession.expires_at) < wall)).all())
        report.invitations_deleted = len(session.exec(select(Invitation.id).where(
            col(Invitation.expires_at) < wall)).all())
        files = [path for path, record in mailbox_files(mailbox_root(app))
                 if record.get("keys") and set(record["keys"]) <= expired]
        report.mailbox_files_deleted = len(files)
        if not dry_run:
            session.connection().execute(update(OutboxItem).where(filled).values(context={}))
            session.connection().execute(delete(UserSession).where(col(UserSession.expires_at) < wall))
            session.connection().execute(delete(Invitation).where(col(Invitation.expires_at) < wall))
        else:
            work.discard()
    if not dry_run:
        for path in files:
            path.unlink(missing_ok=True)
    report.inactive_contacts = _inactive(app, now - dt.timedelta(days=settings.inactive_days))
    if not dry_run and (report.contexts_cleared or report.mailbox_files_deleted or report.sessions_deleted):
        from verbund.services.privacy.forget import compact

        compact(app, ("outboxitem", "usersession", "invitation"))
    return report


__all__ = ["PurgeReport", "RetentionSettings", "purge"]
