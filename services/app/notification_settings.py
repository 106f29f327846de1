"""Settings of the notifications (prefix ``VERBUND_``), apart from the core settings.

``VERBUND_MAILBOX_DIR``: where ``local://`` channels deliver (default: ``postfach/`` beside a SQLite
database file, else in the user data directory); ``VERBUND_OUTBOX_LEASE_SECONDS``: after how long a
claimed item counts as lost in flight and is sent again; ``VERBUND_SEND_CONCURRENCY``: messages
sent at once; ``VERBUND_PUBLIC_URL``: base of the input links in messages; ``VERBUND_MAIL_URL``:
the installation's apprise mail URL for every message to a contact's e-mail address (``services.messaging.mail``;
a secret: kept as ``SecretStr`` so it is never printed with the settings).
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class NotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VERBUND_", extra="ignore")

    mailbox_dir: Path | None = None
    outbox_lease_seconds: float = Field(default=300.0, ge=0)
    send_concurrency: int = Field(default=8, ge=1, le=64)
    public_url: str = "http://127.0.0.1:8000"
    mail_url: SecretStr = SecretStr("local://")


def default_mailbox_dir(database_url: str, configured: Path | None = None) -> Path:
    """The local mailbox: the configured folder, else beside the SQLite file, else the user data dir."""
    if configured is not None:
        return configured.expanduser()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().parent / "postfach"
    return Path(user_data_dir("verbund", appauthor=False)) / "postfach"
