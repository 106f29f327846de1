"""dashboard coverage by the one definition: an index-only probe of active non-guest memberships (issue 5)

Replaces ``ix_membership_open`` (0007) with an index that also holds ``valid_from``, ``role`` and
``network_id``, so counting a school's networks at a moment reads no table rows.

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_membership_assignment", "membership",
                    ["organisation_id", "valid_to", "valid_from", "role", "network_id"])
    op.drop_index("ix_membership_open", table_name="membership")


def downgrade() -> None:
    op.create_index("ix_membership_open", "membership", ["organisation_id", "valid_to"])
    op.drop_index("ix_membership_assignment", table_name="membership")
