"""KPI settings per town, versioned; 通报 bulletins kept as snapshots

``kpi_settings_version``: a town's own versions of the KPI settings, each complete and
effective from a business date; without one, the district default (``kpi_setting``)
applies. ``bulletin``: weekly and monthly bulletins of a town, their computed content
frozen as JSONB, one per town, kind and period. Both are history: a trigger refuses
UPDATE and DELETE, as on ``service_order_event``.

Revision ID: 20261128_0600
Revises: 20261128_0300
Create Date: 2026-11-28 06:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261128_0600"
down_revision: str | None = "20261128_0300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUARD = """
CREATE FUNCTION reporting_history_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is history: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
"""
GUARDED = ("kpi_settings_version", "bulletin")


def upgrade() -> None:
    op.create_table(
        "kpi_settings_version",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("settings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["town_id"], ["org_unit.id"], name=op.f("fk_kpi_settings_version_town_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_settings_version")),
        sa.UniqueConstraint(
            "town_id", "version", name=op.f("uq_kpi_settings_version_town_id_version")
        ),
    )
    op.create_table(
        "bulletin",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "generated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("generated_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('weekly', 'monthly')", name=op.f("ck_bulletin_kind")),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_bulletin_period")),
        sa.ForeignKeyConstraint(
            ["town_id"], ["org_unit.id"], name=op.f("fk_bulletin_town_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin")),
        sa.UniqueConstraint(
            "town_id",
            "kind",
            "period_start",
            name=op.f("uq_bulletin_town_id_kind_period_start"),
        ),
    )
    op.execute(GUARD)
    for table in GUARDED:
        op.execute(
            f"CREATE TRIGGER {table}_is_history BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION reporting_history_guard()"
        )


def downgrade() -> None:
    for table in GUARDED:
        op.execute(f"DROP TRIGGER {table}_is_history ON {table}")
    op.execute("DROP FUNCTION reporting_history_guard()")
    op.drop_table("bulletin")
    op.drop_table("kpi_settings_version")
