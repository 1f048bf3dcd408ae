"""Which esaplan checked each kept version, so an upgrade's checks reach the files already received.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("submissions", sa.Column("checked_with", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("submissions", "checked_with")
