"""not imported: schools the importer could not store, and notes on imported schools (issue 16)

Revision ID: not_imported
Revises: forecast
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from verbund.domain.columns import JSONList, UTCDateTime

revision: str = "not_imported"
down_revision: str | None = "forecast"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_notes", JSONList(), nullable=False, server_default="[]"))
    op.create_table(
        "notimportedschool",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_notimportedschool_source"), "notimportedschool", ["source"], unique=False)
    op.create_index(op.f("ix_notimportedschool_region_id"), "notimportedschool", ["region_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_notimportedschool_region_id"), table_name="notimportedschool")
    op.drop_index(op.f("ix_notimportedschool_source"), table_name="notimportedschool")
    op.drop_table("notimportedschool")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("import_notes")
