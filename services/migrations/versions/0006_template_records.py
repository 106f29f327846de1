"""template records: agreements, consensus decisions and votes, stage evidence (issue 8)

Revision ID: 0006
Revises: 0005
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import verbund.domain.columns

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "agreement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("fields_of_action", sa.JSON(), nullable=False),
        sa.Column("responsibilities", sa.JSON(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", _text(), nullable=False),
        sa.Column("recorded_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network_id", "title"),
    )
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_network_id"), ["network_id"], unique=False)
    op.create_table(
        "decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("stage", _text(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("kind", _text(), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("previous_responsibility", _text(), nullable=True),
        sa.Column("proposed_responsibility", _text(), nullable=True),
        sa.Column("responsibility", _text(), nullable=True),
        sa.Column("status", _text(), nullable=False),
        sa.Column("reason", _text(), nullable=False),
        sa.Column("decided_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", _text(), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network_id", "stage", "cycle", "title"),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_network_id"), ["network_id"], unique=False)
    op.create_table(
        "decisionvote",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("vote", _text(), nullable=False),
        sa.Column("note", _text(), nullable=True),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("decision_id", "organisation_id"),
    )
    with op.batch_alter_table("decisionvote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisionvote_decision_id"), ["decision_id"], unique=False)
    op.create_table(
        "stageevidence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("stage", _text(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("kind", _text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recorded_by", _text(), nullable=False),
        sa.Column("recorded_at", verbund.domain.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network_id", "stage", "cycle", "kind"),
    )
    with op.batch_alter_table("stageevidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stageevidence_network_id"), ["network_id"], unique=False)


def downgrade() -> None:
    op.drop_table("stageevidence")
    op.drop_table("decisionvote")
    op.drop_table("decision")
    op.drop_table("agreement")
