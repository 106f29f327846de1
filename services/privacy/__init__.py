"""Privacy (DSGVO): access and export (Art. 15, 20), erasure (Art. 17), retention (Art. 5(1)(e)).

``build_export`` / ``write_export`` — everything stored about one person; ``forget`` — erase a
contact or a dashboard user without breaking the audit trail or past reports; ``purge`` — clear
message bodies past the retention period and expired sessions. What is stored, why and for how
long: ``docs/privacy.md``.
"""

from verbund.services.privacy.export import build_export, write_export
from verbund.services.privacy.forget import Erasure, forget
from verbund.services.privacy.person import ERASED
from verbund.services.privacy.purge import PurgeReport, RetentionSettings, purge

__all__ = ["ERASED", "Erasure", "PurgeReport", "RetentionSettings", "build_export", "forget", "purge", "write_export"]
