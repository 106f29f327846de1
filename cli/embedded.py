"""Prefect settings for the embedded default, applied through environment variables only.

Nothing here imports Prefect: the ``verbund`` app callback calls ``configure_embedded_prefect``
before any command runs, and only the commands that run flows import Prefect afterwards, so
read-only commands (``status``, ``outbox``, …) start without it.

Without ``PREFECT_API_URL`` Prefect runs an ephemeral API server on SQLite. Measured here
(150 sequential flow runs): with run logs shipped to that API, p90 per run 2.3 s and total 120 s
(SQLite lock waits between log inserts and state writes); without, p90 0.26 s and total 47 s.
So embedded mode keeps logs on the console and in the final state's message, and ships none to
the API. Even then the ephemeral server's own services (task-run recorder) hit SQLite's 60 s busy
timeout now and then (two 60 s stalls in one demo run); an in-memory database behind the ephemeral
API serialises on one connection and never waits (demo: 32–36 s instead of 66–210 s). The run
history of a command's ephemeral server therefore lives only as long as the command; the domain
database keeps everything that matters. With a Prefect server configured (``PREFECT_API_URL``)
nothing here applies, and explicit settings always win.

The ephemeral server is a subprocess whose start-up takes seconds, and many more on a busy
machine: ``VERBUND_PREFECT_START_TIMEOUT`` (default ``DEFAULT_START_TIMEOUT``) sets how long a
command waits for it (Prefect's own default, 20 s, failed 3 of 7 tries under load).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

EMBEDDED_NOTE = "eingebettet (ephemere Prefect-API im Speicher, nur für die Dauer des Befehls)"
EPHEMERAL_DATABASE = "sqlite+aiosqlite:///file::memory:?cache=shared&uri=true&check_same_thread=false"
START_TIMEOUT_ENV = "VERBUND_PREFECT_START_TIMEOUT"
PREFECT_START_TIMEOUT_ENV = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
DEFAULT_START_TIMEOUT = 180


class SettingError(ValueError):
    """A ``VERBUND_`` environment variable has a value verbund cannot use."""


def start_timeout() -> int:
    """Seconds a command waits for a Prefect server to start (``VERBUND_PREFECT_START_TIMEOUT``)."""
    raw = os.environ.get(START_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_START_TIMEOUT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise SettingError(f"{START_TIMEOUT_ENV}: '{raw}' ist keine ganze Zahl von Sekunden ≥ 1")
    return value


def configure_embedded_prefect() -> None:
    """Environment for Prefect in the embedded default; explicit settings win, nothing is imported."""
    if os.environ.get(START_TIMEOUT_ENV) or not os.environ.get(PREFECT_START_TIMEOUT_ENV):
        os.environ[PREFECT_START_TIMEOUT_ENV] = str(start_timeout())
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if os.environ.get("PREFECT_API_URL"):
        return
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_DATABASE_CONNECTION_URL", EPHEMERAL_DATABASE)


def is_prefect_start_failure(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) says the local Prefect API server did not start."""
    markers = ("ephemeral Prefect API server", "Unable to find an available port", "lokale Prefect-Server")
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if any(marker in str(seen) for marker in markers):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def start_failure_line() -> str:
    """The one German line a command prints when Prefect's local API server does not start."""
    try:
        waited = f"{int(os.environ.get(PREFECT_START_TIMEOUT_ENV, ''))} s"
    except ValueError:
        waited = "die eingestellte Zeit"
    return (f"Fehler: Der lokale Prefect-Server ist nicht innerhalb von {waited} gestartet (Rechner ausgelastet?). "
            "Bereits Gespeichertes bleibt erhalten und wird beim nächsten Abgleich nachgeholt. "
            f"Abhilfe: erneut versuchen, {START_TIMEOUT_ENV} erhöhen (z. B. 600) oder 'verbund serve' laufen lassen.")


class VerbundTyper(typer.Typer):
    """The ``verbund`` app: a Prefect server that does not start ends the command with one German line."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SettingError as error:
            sys.stderr.write(f"Fehler: {error}\n")
            sys.exit(1)
        except Exception as error:
            if not is_prefect_start_failure(error):
                raise
            sys.stderr.write(start_failure_line() + "\n")
            sys.exit(1)
