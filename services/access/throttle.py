"""Login throttling, kept in the database so that it holds with several dashboard workers.

Failures count per account (the hashed e-mail as typed, whether or not such an account exists, so
the answer never reveals it) and per client address. From the fifth failure on, each further
attempt must wait: 2 s, 4 s, 8 s … up to 15 minutes; a waiting attempt is refused with a German
lockout notice and is not checked at all. A successful login clears the account's count.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from verbund.domain.access import LoginThrottle
from verbund.domain.errors import DomainError
from verbund.services.app.bootstrap import App

FREE_FAILURES = 5
MAX_DELAY = dt.timedelta(minutes=15)


class LoginThrottled(DomainError):
    """Too many failed logins for this account or from this address: wait before trying again."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(f"Zu viele fehlgeschlagene Anmeldungen. Bitte in {seconds} Sekunden erneut versuchen "
                         "(oder das Passwort über die Prozessverantwortlichen zurücksetzen lassen).")


def keys(email: str, client: str) -> list[str]:
    account = hashlib.sha256((email or "").strip().lower().encode("utf-8")).hexdigest()[:32]
    return [f"account:{account}"] + ([f"client:{client[:64]}"] if client else [])


def delay(failures: int) -> dt.timedelta:
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    return min(dt.timedelta(seconds=2 ** (failures - FREE_FAILURES + 1)), MAX_DELAY)


def check(app: App, names: list[str], now: dt.datetime) -> None:
    """Refuse (``LoginThrottled``) while any key waits; read-only."""
    with app.uow() as uow:
        waits = [row.blocked_until for key in names if (row := uow.session.get(LoginThrottle, key))
                 and row.blocked_until is not None and row.blocked_until > now]
    if waits:
        raise LoginThrottled(max(1, int((max(waits) - now).total_seconds() + 0.999)))


def record_failure(session: Session, names: list[str], now: dt.datetime) -> None:
    for key in names:
        row = session.get(LoginThrottle, key, with_for_update=True)
        if row is None:
            try:
                with session.begin_nested():  # another worker may count this key's first failure too
                    session.add(LoginThrottle(key=key, failures=0))
            except IntegrityError:
                pass
            row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        assert row is not None
        row.failures += 1
        row.last_failure_at = now
        wait = delay(row.failures)
        row.blocked_until = now + wait if wait else None
        session.add(row)


def clear(session: Session, names: list[str]) -> None:
    for key in names:
        row = session.get(LoginThrottle, key)
        if row is not None:
            session.delete(row)
