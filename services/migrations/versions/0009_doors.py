"""doors: closed networks (the slug stays), the Dienststellenschlüssel on organisations (issue 13)

Revision ID: doors
Revises: directory
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import verbund.domain.columns

revision: str = "doors"
down_revision: str | None = "directory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
WHEN = verbund.domain.columns.UTCDateTime


def upgrade() -> None:
    op.add_column("network", sa.Column("closed_at", WHEN(timezone=True), nullable=True))
    op.add_column("network", sa.Column("closed_reason", TEXT(), nullable=True))
    op.add_column("organisation", sa.Column("service_key", TEXT(), nullable=True))
    op.create_index(op.f("ix_organisation_service_key"), "organisation", ["service_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_organisation_service_key"), table_name="organisation")
    op.drop_column("organisation", "service_key")
    op.drop_column("network", "closed_reason")
    op.drop_column("network", "closed_at")
