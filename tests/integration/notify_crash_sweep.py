"""One reminder sweep in its own process (killed with SIGKILL by test_notifications_crash.py).

Usage: python notify_crash_sweep.py DATABASE_URL MAILBOX_DIR ISO_INSTANT
"""

from __future__ import annotations

import sys
from pathlib import Path

from verbund.notifications import AppriseNotifier
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import parse_instant
from verbund.services.app.notification_settings import NotificationSettings
from verbund.services.app.settings import Settings
from verbund.services.messaging.outbox import sweep


def main() -> None:
    database_url, mailbox, at = sys.argv[1:4]
    app = bootstrap(Settings(database_url=database_url), migrate_database=False,
                    notifier=AppriseNotifier(Path(mailbox)))
    app.notification_settings = NotificationSettings(outbox_lease_seconds=0, send_concurrency=2)
    report = sweep(app, parse_instant(at))
    print(report.to_dict())


if __name__ == "__main__":
    main()
