"""ferien: Schulferien imported from a Land's iCalendar file (issue 16)

Revision ID: ferien
Revises: trigger_outbox
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from verbund.domain.columns import UTCDateTime

revision: str = "ferien"
down_revision: str | None = "trigger_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schoolholidayperiod",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("covers_from", sa.Date(), nullable=False),
        sa.Column("covers_to", sa.Date(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_schoolholidayperiod_state"), "schoolholidayperiod", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_schoolholidayperiod_state"), table_name="schoolholidayperiod")
    op.drop_table("schoolholidayperiod")
