"""submission receipts: content dedup of form submissions in the database (issue 15)

Revision ID: submission_receipt
Revises: stage_deputy
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import verbund.domain.columns

revision: str = "submission_receipt"
down_revision: str | None = "stage_deputy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "submissionreceipt",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recorded_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("submissionreceipt")
