"""verbund — the engine for building regional education networks (Kooperationsverbünde) on Prefect.

One import namespace: the folders at the repository's top level (``domain/``, ``flows/``, ``services/``,
``notifications/``, ``deployments/``, ``dashboard/``, ``cli/``) are ``verbund.domain``, ``verbund.flows``, …
through the links in ``src/verbund/``, so nothing of ours lands in site-packages under a generic name.
"""

__version__ = "0.1.0"
