"""Settings from the environment (prefix ``VERBUND_``); defaults work with nothing set."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    folder = Path(user_data_dir("verbund", appauthor=False))
    return f"sqlite:///{folder / 'verbund.db'}"


class Settings(BaseSettings):
    """``VERBUND_DATABASE_URL``, ``VERBUND_NOW``, ``VERBUND_REGION_CONCURRENCY``, ``VERBUND_EXECUTION``,
    ``VERBUND_FEEDBACK_EMAIL``, ``VERBUND_TEXTS_DIR``.

    ``execution``: where triggered stage flows run — ``embedded`` (in this process), ``deployments``
    (``run_deployment`` on a Prefect server's workers) or ``auto`` (deployments when
    ``PREFECT_API_URL`` is set in the environment, else embedded).
    """

    model_config = SettingsConfigDict(env_prefix="VERBUND_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    now: str | None = None
    region_concurrency: int = Field(default=4, ge=1, le=64)
    execution: Literal["auto", "embedded", "deployments"] = "auto"
    # BITV 2.0 pages: the operator's address for accessibility feedback, and a folder with the operator's
    # own barrierefreiheit.html / leichte-sprache.html (Jinja, extending base.html) instead of the defaults.
    feedback_email: str | None = None
    texts_dir: Path | None = None
    # issue 20: the dashboard's cache of rendered pages by data version (``VERBUND_DASHBOARD_CACHE=0``: off)
    dashboard_cache: bool = True

    def safe_database_url(self) -> str:
        """The database URL with any password masked, for logs and messages."""
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).render_as_string(hide_password=True)
