"""security: token versions, rate-limit counters, encrypted phone numbers

Revision ID: 20261128_0100
Revises: 20261128_0500
Create Date: 2026-11-28 01:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_0100"
down_revision: str | None = "20261128_0500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The hard lockout is replaced by throttling (app/kit/ratelimit.py).
    op.drop_column("user_account", "locked_until")
    op.drop_column("user_account", "failure_window_started_at")
    op.drop_column("user_account", "failed_logins")
    op.add_column(
        "user_account",
        sa.Column("token_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counter")),
    )
    op.create_index("ix_rate_limit_counter_expires_at", "rate_limit_counter", ["expires_at"])


def downgrade() -> None:
    op.drop_table("rate_limit_counter")
    op.drop_column("user_account", "token_version")
    op.add_column(
        "user_account",
        sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "user_account", sa.Column("failure_window_started_at", sa.DateTime(timezone=True))
    )
    op.add_column("user_account", sa.Column("locked_until", sa.DateTime(timezone=True)))
