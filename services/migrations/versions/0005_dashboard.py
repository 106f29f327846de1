"""dashboard: users, scopes, sessions, stand-ins, partner deputies and channel opt-outs, secrets (issue 5)

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import verbund.domain.columns

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
WHEN = verbund.domain.columns.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "dashboarduser",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", TEXT(), nullable=False),
        sa.Column("name", TEXT(), nullable=False),
        sa.Column("role", TEXT(), nullable=False),
        sa.Column("password_hash", TEXT(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_dashboarduser_email"), "dashboarduser", ["email"], unique=True)
    op.create_table(
        "userscope",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("value", TEXT(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["dashboarduser.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "kind", "value"),
    )
    op.create_index(op.f("ix_userscope_user_id"), "userscope", ["user_id"], unique=False)
    op.create_table(
        "usersession",
        sa.Column("id", TEXT(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("csrf", TEXT(), nullable=False),
        sa.Column("created_at", WHEN(timezone=True), nullable=False),
        sa.Column("expires_at", WHEN(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["dashboarduser.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_usersession_user_id"), "usersession", ["user_id"], unique=False)
    op.create_table(
        "standin",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("coordinator_id", sa.Uuid(), nullable=False),
        sa.Column("stand_in_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", WHEN(timezone=True), nullable=False),
        sa.Column("valid_to", WHEN(timezone=True), nullable=False),
        sa.Column("created_by", TEXT(), nullable=False),
        sa.ForeignKeyConstraint(["coordinator_id"], ["dashboarduser.id"]),
        sa.ForeignKeyConstraint(["stand_in_id"], ["dashboarduser.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_standin_coordinator_id"), "standin", ["coordinator_id"], unique=False)
    op.create_index(op.f("ix_standin_stand_in_id"), "standin", ["stand_in_id"], unique=False)
    op.create_table(
        "contactdeputy",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("deputy_id", sa.Uuid(), nullable=False),
        sa.Column("named_at", WHEN(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["deputy_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("contact_id"),
    )
    op.create_table(
        "channeloptout",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("opted_out_at", WHEN(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id", "channel"),
    )
    op.create_index(op.f("ix_channeloptout_contact_id"), "channeloptout", ["contact_id"], unique=False)
    op.create_table(
        "appsecret",
        sa.Column("name", TEXT(), nullable=False),
        sa.Column("value", TEXT(), nullable=False),
        sa.Column("created_at", WHEN(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    for table in ("appsecret", "channeloptout", "contactdeputy", "standin", "usersession", "userscope",
                  "dashboarduser"):
        op.drop_table(table)
