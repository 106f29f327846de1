"""forecast computed_at: an index for the time of the stored forecasts

Every dashboard page's stamp reads ``max(forecastentry.computed_at)`` (``services.access.page_view``);
without this index both SQLite and PostgreSQL read the whole table (one row per network) for it, on
every request, a cache hit included.

Revision ID: forecast_computed_at
Revises: contact_reachable
"""
from collections.abc import Sequence

from alembic import op

revision: str = "forecast_computed_at"
down_revision: str | None = "contact_reachable"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_forecastentry_computed_at", "forecastentry", ["computed_at"])


def downgrade() -> None:
    op.drop_index("ix_forecastentry_computed_at", table_name="forecastentry")
