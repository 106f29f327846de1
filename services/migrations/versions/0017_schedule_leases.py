"""schedule leases: one row per embedded schedule, the last slot a process took (issue 20)

Revision ID: schedule_leases
Revises: data_versions
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import verbund.domain.columns

revision: str = "schedule_leases"
down_revision: str | None = "data_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedulelease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("taken_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("schedulelease")
