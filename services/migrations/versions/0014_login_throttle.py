"""login throttle: failed logins per account and client address (issue 15)

Revision ID: login_throttle
Revises: ferien
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import verbund.domain.columns

revision: str = "login_throttle"
down_revision: str | None = "ferien"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loginthrottle",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", verbund.domain.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("loginthrottle")
