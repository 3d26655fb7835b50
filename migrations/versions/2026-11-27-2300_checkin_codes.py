"""QR check-in at duty shifts and meetings: a use counter per shift and meeting

Revision ID: 20261127_2300
Revises: 20261127_2200
Create Date: 2026-11-27 23:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261127_2300"
down_revision: str | None = "20261127_2200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("duty_shift", "meeting")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("check_in_uses", sa.Integer(), server_default=sa.text("0"), nullable=False),
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "check_in_uses")
