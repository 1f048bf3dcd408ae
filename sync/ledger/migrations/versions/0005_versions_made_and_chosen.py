"""When a school made each version (the workbook's own saved time), and the version staff chose to count.

Versions of a unit are ordered by when the school made them, then by arrival: staff who save
e-mail attachments in another order no longer make an older file the latest. Staff may choose
which version counts for a unit and form set (``version_choices``); without a choice, the latest
accepted version counts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch_op:
        batch_op.add_column(sa.Column("made_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "version_choices",
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("form_set", sa.String(length=32), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("chosen_by", sa.String(length=96), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", "form_set", "fiscal_year", "round"),
    )


def downgrade() -> None:
    op.drop_table("version_choices")
    with op.batch_alter_table("submissions") as batch_op:
        batch_op.drop_column("made_at")
