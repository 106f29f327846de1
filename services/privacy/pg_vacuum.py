"""PostgreSQL: rewrite the tables an erasure or a purge touched, until no old row version is left.

``VACUUM (FULL)`` copies only the row versions some transaction may still see: while another
transaction of this database holds an older snapshot (an autovacuum ANALYZE, a long report), the
erased versions count as "recently dead" and are copied along. PostgreSQL says so in the VERBOSE
detail ("N dead row versions cannot be removed yet"); such tables are rewritten again after a short
wait, within ``VERBUND_VACUUM_WAIT`` seconds (default 60). Then the tables are analysed (the
planner's statistics sample column values: names, addresses) and ``pg_statistic`` is rewritten the
same way (only the database's owner or a superuser may; otherwise its old samples stay until
autovacuum). A table in use (VACUUM FULL needs it alone) is not waited for longer than
``LOCK_TIMEOUT``, so the dashboard's queries never queue behind the rewrite; it is tried again.
``False``: not everything could be rewritten in time (the next erasure or purge tries again).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

KEPT = re.compile(r"(\d+) dead row versions cannot be removed yet")
STATISTICS = "pg_catalog.pg_statistic"
LOCK_TIMEOUT = "2s"  # VACUUM FULL waits at most this for a table in use (others would queue behind it)


def _wait_limit() -> float:
    try:
        return max(0.0, float(os.environ.get("VERBUND_VACUUM_WAIT", "60")))
    except ValueError:
        return 60.0


def _rewrite(engine: Engine, tables: list[str]) -> list[str]:
    """VACUUM FULL each table; the ones whose dead row versions had to be kept."""
    kept: list[str] = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        driver: Any = connection.connection.driver_connection
        notes: list[str] = []

        def note(diagnostic: Any) -> None:
            notes.append(f"{diagnostic.message_primary or ''} {diagnostic.message_detail or ''}")

        driver.add_notice_handler(note)
        try:
            connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            for table in tables:
                notes.clear()
                quoted = table if table == STATISTICS else f'"{table}"'
                try:
                    connection.exec_driver_sql(f"VACUUM (FULL, VERBOSE) {quoted}")
                except OperationalError as error:  # the table is in use: no queue of waiters behind us
                    if "lock timeout" not in str(error):
                        raise
                    kept.append(table)
                    continue
                if any(int(found[1]) > 0 for n in notes if (found := KEPT.search(n))):
                    kept.append(table)
        finally:
            driver.remove_notice_handler(note)
    return kept


def _until_clean(engine: Engine, tables: list[str], deadline: float) -> bool:
    pending = tables
    while pending:
        pending = _rewrite(engine, pending)
        if pending and time.monotonic() > deadline:
            return False
        if pending:
            time.sleep(0.5)
    return True


def vacuum_full(engine: Engine, tables: Iterable[str]) -> bool:
    """Rewrite ``tables`` (names from our own metadata) and the statistics until no dead row is kept."""
    names = list(tables)
    deadline = time.monotonic() + _wait_limit()
    try:
        if not _until_clean(engine, names, deadline):
            return False
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in names:
                connection.exec_driver_sql(f'ANALYZE "{table}"')
    except Exception:  # e.g. no right to vacuum, a lock not granted: reported as not compacted
        return False
    try:
        return _until_clean(engine, [STATISTICS], deadline)
    except Exception:  # only the database's owner (or a superuser) may rewrite the statistics
        return True
