"""stage deputy: one active deputy per organisation and stage (issue 15)

Revision ID: stage_deputy
Revises: schedule_leases

``contactdeputy`` (one deputy per contact, without a stage) stays as history; it is no longer written.
Its rows cannot be given a stage after the fact: their deputies remain contacts of the organisation
and keep receiving its messages, and the next deputy named through a link is recorded per stage.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import verbund.domain.columns

revision: str = "stage_deputy"
down_revision: str | None = "schedule_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stagedeputy",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("deputy_id", sa.Uuid(), nullable=False),
        sa.Column("named_by", sa.Uuid(), nullable=False),
        sa.Column("named_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"]),
        sa.ForeignKeyConstraint(["deputy_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["named_by"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_stagedeputy_organisation_id"), "stagedeputy", ["organisation_id"])
    op.create_index(op.f("ix_stagedeputy_deputy_id"), "stagedeputy", ["deputy_id"])
    op.create_index("ux_stagedeputy_one_active", "stagedeputy", ["organisation_id", "network_id", "stage"],
                    unique=True, sqlite_where=sa.text("ended_at IS NULL"),
                    postgresql_where=sa.text("ended_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ux_stagedeputy_one_active", table_name="stagedeputy")
    op.drop_index(op.f("ix_stagedeputy_deputy_id"), table_name="stagedeputy")
    op.drop_index(op.f("ix_stagedeputy_organisation_id"), table_name="stagedeputy")
    op.drop_table("stagedeputy")
