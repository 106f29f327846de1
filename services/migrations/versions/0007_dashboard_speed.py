"""dashboard speed: indexes for the overview's coverage count and message counts (issue 5)

Revision ID: 0007
Revises: 0006
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_organisation_coverage", "organisation", ["region_id", "kind", "in_scope", "closed_at", "id"])
    op.create_index("ix_membership_open", "membership", ["organisation_id", "valid_to"])
    op.create_index("ix_outboxitem_network_status", "outboxitem", ["network_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_outboxitem_network_status", table_name="outboxitem")
    op.drop_index("ix_membership_open", table_name="membership")
    op.drop_index("ix_organisation_coverage", table_name="organisation")
