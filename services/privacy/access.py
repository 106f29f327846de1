"""Export and erasure from the dashboard: only a process owner whose region (or Land) the contact's
organisation belongs to may do them (the same rule as deactivating a contact); everyone else is refused."""

from __future__ import annotations

from typing import Any

from verbund.domain.errors import NotAllowed
from verbund.services.access.users import Principal
from verbund.services.app.bootstrap import App
from verbund.services.directory.directory_access import may_deactivate
from verbund.services.privacy.export import build_export
from verbund.services.privacy.forget import Erasure, forget


def _check(app: App, who: Principal, ref: str) -> str:
    from verbund.domain.models import Organisation
    from verbund.services.directory.contacts import find_contact

    with app.uow(read_only=True) as uow:
        contact = find_contact(uow.session, ref)
        organisation = uow.session.get(Organisation, contact.organisation_id)
        if organisation is None or not may_deactivate(uow.session, who, organisation):
            raise NotAllowed("Auskunft und Löschung: nur Prozessverantwortliche der Region der Ansprechperson")
        return str(contact.id)


def export_contact(app: App, who: Principal, ref: str) -> dict[str, Any]:
    return build_export(app, contact=_check(app, who, ref))


def forget_contact(app: App, who: Principal, ref: str, reason: str) -> Erasure:
    return forget(app, contact=_check(app, who, ref), reason=reason, by=who.email)
