"""Service orders: (ancestor column, id) keyset indexes replace the single-column ones

An order list is newest first within the caller's scope. With only single-column
ancestor indexes (and the (level, status, id) ones, which serve a status filter),
PostgreSQL walked the primary key backwards and discarded every order outside the
scope: a grid's first page took 8.97 ms at 2 M orders, 10× its time at 1 % of the data;
with ``(grid_id, id)`` it is one index range scan, 0.04 ms at either size (``python -m
bench scale``). The composite indexes serve every lookup the single-column ones served
(equality on the leading column: moves, archive checks), so those are dropped and a
write maintains no more indexes than before.

Revision ID: 20261128_0500
Revises: 20261128_0400
Create Date: 2026-11-28 05:00:00+08:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261128_0500"
down_revision: str | None = "20261128_0400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = ("town_id", "community_id", "grid_id", "building_id", "household_id")


def upgrade() -> None:
    for column in LEVELS:
        op.create_index(
            op.f(f"ix_service_order_{column}_id"), "service_order", [column, "id"], unique=False
        )
        op.drop_index(op.f(f"ix_service_order_{column}"), table_name="service_order")


def downgrade() -> None:
    for column in LEVELS:
        op.create_index(op.f(f"ix_service_order_{column}"), "service_order", [column], unique=False)
        op.drop_index(op.f(f"ix_service_order_{column}_id"), table_name="service_order")
