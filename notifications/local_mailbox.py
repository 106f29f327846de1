"""The ``local://NAME`` apprise schema: delivered messages land as JSON files in a local mailbox.

Registered with apprise's ``@notify`` decorator when this module is imported. The mailbox root
comes with the URL (``?mailbox=/path``; the apprise notifier adds it), the folder is ``NAME``.
Nothing leaves the machine. Each delivery is one file, written atomically.
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

from apprise.decorators import notify

SCHEME = "local"
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,120}$")


def mailbox_name(value: str) -> str:
    """The folder name for ``local://value`` (lowercase letters, digits, dot, dash, underscore)."""
    if not NAME.match(value):
        raise ValueError(f"ungültiger Postfachname '{value}' (erlaubt: a-z, 0-9, Punkt, Bindestrich)")
    return value


def _deliver(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
    qsd = meta.get("qsd") or {}
    root = qsd.get("mailbox")
    if not root:
        return False
    try:
        name = mailbox_name(str(meta.get("host") or ""))
    except ValueError:
        return False
    attachments = []
    for item in kwargs.get("attach") or []:
        attachments.append({"name": item.name, "mimetype": item.mimetype,
                            "content": base64.b64encode(bytes(item.open().read())).decode("ascii")})
    record = {"keys": [k for k in str(qsd.get("keys", "")).split(",") if k], "delivery": qsd.get("delivery"),
              "title": title, "body": body, "attachments": attachments}
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{uuid.uuid4().hex}"
    tmp = folder / f".{stem}.tmp"
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / f"{stem}.json")
    return True


_register: Any = notify(on=SCHEME, name="verbund: lokales Postfach")  # type: ignore[no-untyped-call]
_register(_deliver)


def read_mailbox(root: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Every message delivered to the mailbox ``name`` (or to all mailboxes under ``root``)."""
    if name:
        folders = [root / mailbox_name(name)]
    else:
        folders = [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
    messages = []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            record = json.loads(path.read_text(encoding="utf-8"))
            record["mailbox"] = folder.name
            messages.append(record)
    return messages
