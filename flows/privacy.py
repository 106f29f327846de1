"""The daily retention run: ``verbund.flows.privacy:privacy_purge`` (``services.privacy.purge``).

Its parameters and result carry counts and ids only, never a person's name or address.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow

from verbund.flows.runtime import get_app, instant
from verbund.services.privacy import purge


@flow(name="privacy-purge", flow_run_name="privacy-purge · {at}", log_prints=True)
async def privacy_purge(at: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Clear message contents and mailbox copies past the retention period, expired sessions; counts."""
    report = (await asyncio.to_thread(purge, get_app(), dry_run=dry_run, now=instant(at))).to_dict()
    print(f"Nachrichteninhalte geleert {report['contexts_cleared']}, "
          f"Postfach-Dateien {report['mailbox_files_deleted']}, Sitzungen {report['sessions_deleted']}, "
          f"lange inaktiv {len(report['inactive_contacts'])}")
    return report
