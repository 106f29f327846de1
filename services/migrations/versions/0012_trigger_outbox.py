"""trigger outbox: stages a committed change asks to reconcile; when a stage was reopened (issue 15)

Revision ID: trigger_outbox
Revises: not_imported
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import verbund.domain.columns

revision: str = "trigger_outbox"
down_revision: str | None = "not_imported"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_trigger",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pending_trigger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_trigger_network_id"), ["network_id"], unique=False)
    with op.batch_alter_table("stagerun", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reopened_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stagerun", schema=None) as batch_op:
        batch_op.drop_column("reopened_at")
    with op.batch_alter_table("pending_trigger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_trigger_network_id"))
    op.drop_table("pending_trigger")
