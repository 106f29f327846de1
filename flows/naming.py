"""Names the flows share with their deployments: the deployment name and the mail rate limit.

They live here, not in ``deployments/``, because the flows use them at run time (a trigger runs the
deployment ``<flow>/verbund``; the sweep takes a slot of the ``mail`` limit) and the import contracts
keep ``flows`` from importing ``deployments``, which builds on them.
"""

from __future__ import annotations

DEPLOYMENT = "verbund"
MAIL_RATE_LIMIT = "mail"  # global concurrency limit used as a rate limit for outgoing mail


def deployment_name(flow_name: str) -> str:
    """``<flow>/<deployment>``, as ``run_deployment`` takes it."""
    return f"{flow_name}/{DEPLOYMENT}"
