"""Person: (ancestor column, id) keyset indexes replace the single-column ancestor indexes

The people list is newest first within the caller's scope. With only single-column
ancestor indexes, PostgreSQL walks the primary key backwards and discards every person
outside the scope: 418 ms for the first page of a community at 500 k people (0.7 ms at
5 k). With ``(community_id, id)`` it is one index range scan, 0.03 ms at either size
(``python -m bench scale``). The composite indexes serve every lookup the single-column
ones served (equality on the leading column), so those are dropped: no extra index to
maintain on a write.

Revision ID: 20261128_0400
Revises: 20261127_2300
Create Date: 2026-11-28 04:00:00+08:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261128_0400"
down_revision: str | None = "20261127_2300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = ("town_id", "community_id", "grid_id", "building_id", "household_id")


def upgrade() -> None:
    for column in LEVELS:
        op.create_index(op.f(f"ix_person_{column}_id"), "person", [column, "id"], unique=False)
        op.drop_index(op.f(f"ix_person_{column}"), table_name="person")


def downgrade() -> None:
    for column in LEVELS:
        op.create_index(op.f(f"ix_person_{column}"), "person", [column], unique=False)
        op.drop_index(op.f(f"ix_person_{column}_id"), table_name="person")
