"""The person's messages in the local mailbox (``local://``, ``VERBUND_MAILBOX_DIR``).

A delivered message is one JSON file naming the outbox keys it carried: the files whose keys are
the person's own outbox items are their copies; other files (a coordinator's escalation about the
person's undeliverable message) may still name them in the text.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from verbund.domain.outbox import OutboxItem
from verbund.services.app.bootstrap import App
from verbund.services.app.notification_settings import default_mailbox_dir
from verbund.services.privacy.person import ERASED, TOKEN, Person, mask_tokens


def mailbox_root(app: App) -> Path:
    return default_mailbox_dir(app.settings.database_url, app.notification_settings.mailbox_dir)


def mailbox_files(root: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    if not root.is_dir():
        return
    for path in sorted(root.glob("*/*.json")):
        try:
            yield path, json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue


def person_keys(session: Session, person: Person) -> set[str]:
    if person.kind != "contact":
        return set()
    return set(session.exec(select(OutboxItem.key).where(col(OutboxItem.contact_id) == person.id)).all())


def _mentions(text: str, person: Person) -> bool:
    hits = person.mentions(text)
    return bool(hits) and person.qualified(hits, text, None)


def classify(root: Path, session: Session, person: Person) -> tuple[list[Path], list[Path]]:
    """(the person's own message files, other files that name them)."""
    keys = person_keys(session, person)
    own, naming = [], []
    for path, record in mailbox_files(root):
        if keys.intersection(record.get("keys") or []):
            own.append(path)
        elif _mentions(json.dumps(record, ensure_ascii=False), person):
            naming.append(path)
    return own, naming


def person_files(root: Path, session: Session, person: Person) -> dict[str, Any]:
    own, naming = classify(root, session, person)
    messages = []
    for path in own:
        record = json.loads(path.read_text(encoding="utf-8"))
        messages.append({"file": str(path.relative_to(root)), "title": record.get("title"),
                         "body": mask_tokens(str(record.get("body", ""))), "keys": record.get("keys"),
                         "attachments": [a.get("name") for a in record.get("attachments") or []]})
    return {"root": str(root), "messages": messages, "naming": [str(p.relative_to(root)) for p in naming]}


def scrub(text: str, person: Person) -> str:
    """``text`` without the person: names, addresses and channels as ``[gelöscht]``, their link tokens gone."""
    if person.token_prefix:
        text = re.sub(r"\?t=" + re.escape(person.token_prefix) + r"[A-Za-z0-9_\-.]*", "", text)
    for needle in sorted(person.needles, key=len, reverse=True):
        text = re.sub(re.escape(needle), ERASED, text, flags=re.IGNORECASE)
    pattern = person.name_pattern
    return pattern.sub(ERASED, text) if pattern is not None else text


def erase_files(root: Path, session: Session, person: Person) -> tuple[int, int]:
    """Delete the person's own files (and their folder once empty); scrub the others. (deleted, scrubbed)."""
    own, naming = classify(root, session, person)
    for path in own:
        path.unlink(missing_ok=True)
    for folder in {p.parent for p in own}:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    for path in naming:
        record = json.loads(path.read_text(encoding="utf-8"))
        cleaned = _scrub_record(record, person)
        tmp = path.with_name(f".{path.stem}.tmp")
        tmp.write_text(json.dumps(cleaned, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    return len(own), len(naming)


def _scrub_record(value: Any, person: Person) -> Any:
    if isinstance(value, str):
        return scrub(value, person)
    if isinstance(value, dict):
        return {k: _scrub_record(v, person) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_record(v, person) for v in value]
    return value


__all__ = ["TOKEN", "classify", "erase_files", "mailbox_files", "mailbox_root", "person_files", "scrub"]
