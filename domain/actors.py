"""Actors by reference: who did something is stored as a reference to a person, not as their name.

Every column that names who acted or who was meant (``actor``, ``recorded_by``, ``represented_by``,
``drafted_by``, ``approved_by``) has a companion ``<column>_ref``:

- ``contact:<uuid>`` or ``user:<uuid>``: the person; the text column is then empty and the name is
  looked up when shown (``services.access.actor_refs``), so erasing the person changes one row;
- ``unmatched``: the text looks like a person's name but matched no contact or user (kept as typed,
  flagged; the erasure's free-text replacement still covers it);
- ``NULL``: no person (``system``, ``import``, …, or nothing).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from verbund.domain.names import same_name, same_organisation, split_organisation

# table → its person columns (each has ``<column>_ref`` beside it)
ACTOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "auditevent": ("actor",),
    "contactevent": ("actor",),
    "analysisentry": ("recorded_by",),
    "potential": ("recorded_by",),
    "goal": ("recorded_by",),
    "agreement": ("recorded_by",),
    "decision": ("recorded_by",),
    "stageevidence": ("recorded_by",),
    "attendance": ("represented_by",),
    "protocol": ("drafted_by", "approved_by"),
}
UNMATCHED = "unmatched"
# actors that are no person: never matched, never flagged
NO_PERSON = frozenset({"system", "import", "cli", "demo", "partner-eingabe", "reconcile", "sweep"})
_REF = re.compile(r"^(contact|user):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


def ref(kind: str, person_id: uuid.UUID) -> str:
    """The reference stored for a contact (``kind="contact"``) or a dashboard user (``"user"``)."""
    return f"{kind}:{person_id}"


def parse_ref(value: str | None) -> tuple[str, uuid.UUID] | None:
    """``("contact" | "user", id)`` of a person reference; ``None`` for anything else."""
    found = _REF.match(value or "")
    return (found[1], uuid.UUID(found[2])) if found else None


def is_person_text(text: str | None) -> bool:
    """Whether a stored actor text may name a person (letters, not one of the system's own actors)."""
    value = (text or "").strip()
    return bool(value) and value.casefold() not in NO_PERSON and any(ch.isalpha() for ch in value)


def match(text: str, contacts: Iterable[tuple[uuid.UUID, str, str | None, str | None]],
          users: Iterable[tuple[uuid.UUID, str, str | None]]) -> str | None:
    """The reference of the one person ``text`` names: contacts as (id, name, email, organisation name),
    users as (id, email, name). An address matches exactly (case aside), a name in any of its spellings
    (``domain.names``); ``Name (Organisation)`` only a contact of that organisation. ``None``: nobody or
    more than one."""
    value = text.strip()
    if "@" in value and " " not in value:
        key = value.casefold()
        found = [ref("user", uid) for uid, email, _name in users if email.casefold() == key]
        found = found or [ref("contact", cid) for cid, _n, email, _o in contacts if (email or "").casefold() == key]
    else:
        name, organisation = split_organisation(value)
        found = [ref("contact", cid) for cid, contact_name, _e, org in contacts
                 if same_name(name, contact_name) and same_organisation(value, org)]
        found += [ref("user", uid) for uid, _email, user_name in users
                  if organisation is None and same_name(name, user_name or "")]
    return found[0] if len(set(found)) == 1 else None
