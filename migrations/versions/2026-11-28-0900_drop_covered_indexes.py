"""Drop single-column indexes that a composite index with the same leading column covers

Each is a strict prefix of another B-tree index on its table, so every lookup it
served (equality or range on that column) the composite one serves too; keeping both
cost an extra index insert on every write to the table.

- points_account (town_id)       ⊂ uq_points_account_town_id_kind_person_id
- role_grant (user_id)           ⊂ uq_role_grant_user_id_role_org_unit_id
- department_arrival (order_id)  ⊂ uq_department_arrival_order_id_department_id
- matter (grid_id)               ⊂ ix_matter_grid_id_id
- micro_wish (community_id)      ⊂ ix_micro_wish_community_id_status_id
- partner_body (org_unit_id)     ⊂ uq_partner_body_org_unit_id_kind_name
- station (org_unit_id)          ⊂ uq_station_org_unit_id_name

Revision ID: 20261128_0900
Revises: 20261128_0300
Create Date: 2026-11-28 09:00:00+08:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261128_0900"
down_revision: str | None = "20261128_0800"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERED = (
    ("points_account", "town_id"),
    ("role_grant", "user_id"),
    ("department_arrival", "order_id"),
    ("matter", "grid_id"),
    ("micro_wish", "community_id"),
    ("partner_body", "org_unit_id"),
    ("station", "org_unit_id"),
)


def upgrade() -> None:
    for table, column in COVERED:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)


def downgrade() -> None:
    for table, column in COVERED:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)
