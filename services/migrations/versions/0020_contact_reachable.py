"""contact reachable: a partial index of the active contacts with an e-mail address (issue 20)

The dashboard's count of members no message reaches leaves out every member with such a contact;
on PostgreSQL, without this index, the anti join hashed every contact of the country per page.

Revision ID: contact_reachable
Revises: submission_receipt
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "contact_reachable"
down_revision: str | None = "submission_receipt"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# as ``domain.models.REACHABLE_*`` when this revision was written (a migration never follows later code)
SQLITE = "active IS 1 AND email IS NOT NULL AND email <> ''"
POSTGRESQL = "active IS TRUE AND email IS NOT NULL AND email <> ''"


def upgrade() -> None:
    op.create_index("ix_contact_reachable", "contact", ["organisation_id"],
                    sqlite_where=sa.text(SQLITE), postgresql_where=sa.text(POSTGRESQL))


def downgrade() -> None:
    op.drop_index("ix_contact_reachable", table_name="contact")
