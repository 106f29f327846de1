"""forecast: forecasts computed ahead, per network, as-of day and data version (issue 19)

Revision ID: forecast
Revises: doors
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import verbund.domain.columns

revision: str = "forecast"
down_revision: str | None = "doors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "forecastentry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("network", TEXT(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("version", TEXT(), nullable=False),
        sa.Column("risk", TEXT(), nullable=False),
        sa.Column("p80", sa.Date(), nullable=True),
        sa.Column("payload", verbund.domain.columns.JSONList(), nullable=False),
        sa.Column("computed_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network", "as_of", "version"),
    )
    op.create_index(op.f("ix_forecastentry_network"), "forecastentry", ["network"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_forecastentry_network"), table_name="forecastentry")
    op.drop_table("forecastentry")
