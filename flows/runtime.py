"""The flows' access to the service layer: one ``App`` per process.

Entry points that bootstrap the app themselves (CLI, tests, the demo) hand it over with
``use_app``; a worker process that imports a flow bootstraps from the environment on first use
(without migrating: `verbund init` migrates once per database).
"""

from __future__ import annotations

import datetime as dt
import threading

from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import parse_instant
from verbund.services.app.db import require_current_schema
from verbund.services.app.settings import Settings

_lock = threading.Lock()
_app: App | None = None


def use_app(app: App | None) -> None:
    global _app
    with _lock:
        _app = app


def get_app() -> App:
    global _app
    with _lock:
        if _app is None:
            from verbund.flows.trigger import make_trigger

            settings = Settings()
            # A worker's flow-run process does not migrate: that is the operator's step
            # (`verbund init`), done once, not at the start of every run.
            built = bootstrap(settings, trigger=make_trigger(settings), migrate_database=False)
            require_current_schema(built.engine)
            _app = built
        return _app


def instant(at: str | None) -> dt.datetime:
    """The domain time a flow works at: the ``at`` parameter, or the app's clock."""
    return parse_instant(at, "at") if at else get_app().now()
