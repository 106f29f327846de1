"""schools import: scope of organisations, exclusive assignments (issue 4)

Revision ID: 0004
Revises: 0003 (see docs/import.md: one head keeps services.app.db.current_revision working)
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXCLUSIVE_OPEN = "exclusive AND valid_to IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_scope", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("out_of_scope_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exclusive", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("basis", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_index(
        "ux_membership_one_assignment", "membership", ["organisation_id"], unique=True,
        sqlite_where=sa.text(EXCLUSIVE_OPEN), postgresql_where=sa.text(EXCLUSIVE_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ux_membership_one_assignment", table_name="membership")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("basis")
        batch_op.drop_column("exclusive")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("out_of_scope_reason")
        batch_op.drop_column("in_scope")
