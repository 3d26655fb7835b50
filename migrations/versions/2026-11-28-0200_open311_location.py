"""open311: an order's location point and external reference; clients' IP allow-lists

Revision ID: 20261128_0200
Revises: 20261128_0100
Create Date: 2026-11-28 02:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_0200"
down_revision: str | None = "20261128_0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "api_client",
        sa.Column(
            "allowed_ips",
            sa.ARRAY(sa.String(64)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )
    op.add_column("service_order", sa.Column("latitude", sa.Numeric(9, 6), nullable=True))
    op.add_column("service_order", sa.Column("longitude", sa.Numeric(9, 6), nullable=True))
    op.add_column("service_order", sa.Column("external_ref", sa.String(64), nullable=True))
    op.create_check_constraint(
        "point_whole",
        "service_order",
        "(latitude IS NULL) = (longitude IS NULL)",
    )
    op.create_index(
        "ix_service_order_external_ref",
        "service_order",
        ["external_ref"],
        postgresql_where=sa.text("external_ref IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_service_order_external_ref", table_name="service_order")
    op.drop_constraint("point_whole", "service_order", type_="check")
    op.drop_column("service_order", "external_ref")
    op.drop_column("service_order", "longitude")
    op.drop_column("service_order", "latitude")
    op.drop_column("api_client", "allowed_ips")
