"""outbox: one row per intended notification item (issue 3)

Revision ID: 0003
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import verbund.domain.columns

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outboxitem",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("delivery", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("send_after", verbund.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("claimed_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outboxitem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outboxitem_key"), ["key"], unique=True)
        batch_op.create_index(batch_op.f("ix_outboxitem_delivery"), ["delivery"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxitem_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxitem_network_id"), ["network_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxitem_send_after"), ["send_after"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxitem_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("outboxitem")
