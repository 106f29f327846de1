"""directory: partners' address and Land-wide scope, contacts' dated events, coordinator invitations (issue 12)

Revision ID: directory
Revises: 0007
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import verbund.domain.columns

revision: str = "directory"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
WHEN = verbund.domain.columns.UTCDateTime


def upgrade() -> None:
    op.add_column("organisation", sa.Column("address", TEXT(), nullable=True))
    op.add_column("organisation", sa.Column("land", TEXT(length=2), nullable=True))
    op.create_table(
        "contactevent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("at", WHEN(timezone=True), nullable=False),
        sa.Column("recorded_at", WHEN(timezone=True), nullable=False),
        sa.Column("actor", TEXT(), nullable=False),
        sa.Column("action", TEXT(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_contactevent_contact_id"), "contactevent", ["contact_id"], unique=False)
    op.create_index(op.f("ix_contactevent_at"), "contactevent", ["at"], unique=False)
    op.create_table(
        "invitation",
        sa.Column("id", TEXT(), nullable=False),
        sa.Column("email", TEXT(), nullable=False),
        sa.Column("name", TEXT(), nullable=False),
        sa.Column("role", TEXT(), nullable=False),
        sa.Column("scope_kind", TEXT(), nullable=False),
        sa.Column("scope_value", TEXT(), nullable=False),
        sa.Column("created_by", TEXT(), nullable=False),
        sa.Column("created_at", WHEN(timezone=True), nullable=False),
        sa.Column("expires_at", WHEN(timezone=True), nullable=False),
        sa.Column("used_at", WHEN(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_invitation_email"), "invitation", ["email"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_invitation_email"), table_name="invitation")
    op.drop_table("invitation")
    op.drop_index(op.f("ix_contactevent_at"), table_name="contactevent")
    op.drop_index(op.f("ix_contactevent_contact_id"), table_name="contactevent")
    op.drop_table("contactevent")
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("land")
        batch.drop_column("address")
