"""security: token versions, rate-limit counters, encrypted phone numbers

Revision ID: 20261128_0100
Revises: 20261127_2200
Create Date: 2026-11-28 01:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_0100"
down_revision: str | None = "20261127_2200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user_account",
        sa.Column("token_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("user_account", "token_version")
