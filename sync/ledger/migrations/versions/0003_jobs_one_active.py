"""At most one job queued or running per area and round, enforced by the database: two processes
pressing Consolidate at the same moment (two machines, the web button and a macro) join one job.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('queued', 'running')"


def upgrade() -> None:
    # Earlier versions could leave two active jobs of one round (a doubled start, a worker that died
    # before heartbeats existed): the newest stays, the others end failed, saying why.
    op.execute(
        f"UPDATE jobs SET status = 'failed', error = 'ซ้ำกับงานที่เริ่มภายหลังของรอบเดียวกัน (duplicate of a later job of the same round)' "
        f"WHERE {ACTIVE} AND id NOT IN (SELECT max(id) FROM jobs WHERE {ACTIVE} GROUP BY coalesce(area, ''), fiscal_year, round)"
    )
    op.create_index(
        "jobs_one_active",
        "jobs",
        [sa.text("coalesce(area, '')"), "fiscal_year", "round"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("jobs_one_active", table_name="jobs")
