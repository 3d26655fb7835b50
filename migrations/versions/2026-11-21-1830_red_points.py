"""red points: double-entry ledger, earning rules, community shop

Revision ID: 20261121_1830
Revises: 20261121_1800
Create Date: 2026-11-21 18:30:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261121_1830"
down_revision: str | None = "20261121_1800"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


DEFAULT_RULES = [
    # kind, key, points: defaults for every town (town_id null)
    ("order_category", "repair", 10),
    ("order_category", "elderly_help", 10),
    ("order_category", "mediation", 15),
    ("order_category", "environment", 5),
    ("order_category", "legal_aid", 15),
    ("order_category", "health", 10),
    ("order_category", "micro_wish", 8),
    ("order_category", "other", 5),
    ("order_top_rating_bonus", "", 5),
    ("activity_type", "volunteer_service", 10),
    ("activity_type", "party_meeting", 5),
    ("activity_type", "training", 5),
    ("cap_daily", "", 100),
    ("cap_monthly", "", 1000),
]
POINTS_PERMISSIONS = {
    "town_admin": [
        "points.read",
        "points.award",
        "points.rules",
        "rewards.manage",
        "rewards.handover",
    ],
    "community_admin": ["points.read", "points.award", "rewards.manage", "rewards.handover"],
    "dispatcher": ["points.read"],
    "grid_worker": ["points.read", "rewards.handover"],
    "member": ["points.redeem"],
    "auditor": ["points.read"],
}
# Ledger entries are never updated or deleted (append-only, so the history stays
# auditable): the database refuses it, whatever the application does; corrections
# are reversals.
IMMUTABLE = [
    """
CREATE FUNCTION points_immutable_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
""",
    """CREATE TRIGGER points_transaction_append_only BEFORE UPDATE OR DELETE ON points_transaction
    FOR EACH ROW EXECUTE FUNCTION points_immutable_guard()""",
    """CREATE TRIGGER points_posting_append_only BEFORE UPDATE OR DELETE ON points_posting
    FOR EACH ROW EXECUTE FUNCTION points_immutable_guard()""",
    """CREATE TRIGGER points_transaction_no_truncate BEFORE TRUNCATE ON points_transaction
    FOR EACH STATEMENT EXECUTE FUNCTION points_immutable_guard()""",
    """CREATE TRIGGER points_posting_no_truncate BEFORE TRUNCATE ON points_posting
    FOR EACH STATEMENT EXECUTE FUNCTION points_immutable_guard()""",
]


def upgrade() -> None:
    op.create_table(
        "points_transaction",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("txn_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        sa.Column("reversal_of_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["reversal_of_id"],
            ["points_transaction.id"],
            name=op.f("fk_points_transaction_reversal_of_id_points_transaction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_transaction")),
        sa.UniqueConstraint("reversal_of_id", name=op.f("uq_points_transaction_reversal_of_id")),
        sa.UniqueConstraint("txn_key", name=op.f("uq_points_transaction_txn_key")),
    )
    op.create_index(
        op.f("ix_points_transaction_town_id"), "points_transaction", ["town_id"], unique=False
    )
    op.create_table(
        "points_rule",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), server_default=sa.text("''"), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "valid_from",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('order_category', 'order_top_rating_bonus', 'activity_type', 'cap_daily', 'cap_monthly')",
            name=op.f("ck_points_rule_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["town_id"], ["org_unit.id"], name=op.f("fk_points_rule_town_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_rule")),
    )
    op.create_index(
        "ix_points_rule_kind_key_valid_from",
        "points_rule",
        ["kind", "key", "valid_from"],
        unique=False,
    )
    op.create_table(
        "reward",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("price_points", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("active_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=True),
        sa.Column("grid_id", sa.BigInteger(), nullable=True),
        sa.Column("building_id", sa.BigInteger(), nullable=True),
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("price_points > 0", name=op.f("ck_reward_price_positive")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_reward_stock_not_negative")),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_reward_org_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward")),
    )
    op.create_index(op.f("ix_reward_building_id"), "reward", ["building_id"], unique=False)
    op.create_index(op.f("ix_reward_community_id"), "reward", ["community_id"], unique=False)
    op.create_index(op.f("ix_reward_grid_id"), "reward", ["grid_id"], unique=False)
    op.create_index(op.f("ix_reward_household_id"), "reward", ["household_id"], unique=False)
    op.create_index(op.f("ix_reward_town_id"), "reward", ["town_id"], unique=False)
    op.create_table(
        "points_account",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("balance", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "last_hash",
            sa.String(length=64),
            server_default=sa.text(
                "'0000000000000000000000000000000000000000000000000000000000000000'"
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(kind = 'member') = (person_id IS NOT NULL)",
            name=op.f("ck_points_account_member_has_person"),
        ),
        sa.CheckConstraint(
            "kind <> 'member' OR balance >= 0",
            name=op.f("ck_points_account_member_balance_not_negative"),
        ),
        sa.CheckConstraint(
            "kind IN ('member', 'issuance', 'redemption')", name=op.f("ck_points_account_kind")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_points_account_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["town_id"], ["org_unit.id"], name=op.f("fk_points_account_town_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_account")),
        sa.UniqueConstraint(
            "town_id",
            "kind",
            "person_id",
            name=op.f("uq_points_account_town_id_kind_person_id"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(op.f("ix_points_account_town_id"), "points_account", ["town_id"], unique=False)
    op.create_table(
        "redemption",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reward_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pickup_code", sa.String(length=12), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("refund_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_over_by", sa.BigInteger(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=True),
        sa.Column("grid_id", sa.BigInteger(), nullable=True),
        sa.Column("building_id", sa.BigInteger(), nullable=True),
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending_pickup', 'handed_over', 'cancelled')",
            name=op.f("ck_redemption_status"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_redemption_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["refund_transaction_id"],
            ["points_transaction.id"],
            name=op.f("fk_redemption_refund_transaction_id_points_transaction"),
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["reward.id"], name=op.f("fk_redemption_reward_id_reward")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["points_transaction.id"],
            name=op.f("fk_redemption_transaction_id_points_transaction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption")),
        sa.UniqueConstraint("pickup_code", name=op.f("uq_redemption_pickup_code")),
    )
    op.create_index(op.f("ix_redemption_building_id"), "redemption", ["building_id"], unique=False)
    op.create_index(
        op.f("ix_redemption_community_id"), "redemption", ["community_id"], unique=False
    )
    op.create_index(op.f("ix_redemption_grid_id"), "redemption", ["grid_id"], unique=False)
    op.create_index(
        op.f("ix_redemption_household_id"), "redemption", ["household_id"], unique=False
    )
    op.create_index("ix_redemption_person_id_id", "redemption", ["person_id", "id"], unique=False)
    op.create_index(op.f("ix_redemption_reward_id"), "redemption", ["reward_id"], unique=False)
    op.create_index(op.f("ix_redemption_town_id"), "redemption", ["town_id"], unique=False)
    op.create_table(
        "points_period_total",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("earned", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("spent", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=True),
        sa.Column("grid_id", sa.BigInteger(), nullable=True),
        sa.Column("building_id", sa.BigInteger(), nullable=True),
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "period IN ('month', 'quarter', 'year')", name=op.f("ck_points_period_total_period")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["points_account.id"],
            name=op.f("fk_points_period_total_account_id_points_account"),
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "period", "period_start", name=op.f("pk_points_period_total")
        ),
    )
    op.create_index(
        op.f("ix_points_period_total_building_id"),
        "points_period_total",
        ["building_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_points_period_total_community_id"),
        "points_period_total",
        ["community_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_points_period_total_grid_id"), "points_period_total", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_points_period_total_household_id"),
        "points_period_total",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        "ix_points_period_total_rank_community",
        "points_period_total",
        ["period", "period_start", "community_id", "earned", "account_id"],
        unique=False,
    )
    op.create_index(
        "ix_points_period_total_rank_grid",
        "points_period_total",
        ["period", "period_start", "grid_id", "earned", "account_id"],
        unique=False,
    )
    op.create_index(
        "ix_points_period_total_rank_town",
        "points_period_total",
        ["period", "period_start", "town_id", "earned", "account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_points_period_total_town_id"), "points_period_total", ["town_id"], unique=False
    )
    op.create_table(
        "points_posting",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("balance_after", sa.BigInteger(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_points_posting_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["points_account.id"],
            name=op.f("fk_points_posting_account_id_points_account"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["points_transaction.id"],
            name=op.f("fk_points_posting_transaction_id_points_transaction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_posting")),
        sa.UniqueConstraint("account_id", "seq", name=op.f("uq_points_posting_account_id_seq")),
    )
    op.create_index(
        "ix_points_posting_account_id_id", "points_posting", ["account_id", "id"], unique=False
    )
    op.create_index(
        "ix_points_posting_transaction_id", "points_posting", ["transaction_id"], unique=False
    )
    for statement in IMMUTABLE:
        op.execute(statement)
    op.bulk_insert(
        sa.table("points_rule", sa.column("kind"), sa.column("key"), sa.column("points")),
        [{"kind": k, "key": key, "points": pts} for k, key, pts in DEFAULT_RULES],
    )
    op.bulk_insert(
        sa.table("role_permission", sa.column("role"), sa.column("permission")),
        [{"role": r, "permission": p} for r, perms in POINTS_PERMISSIONS.items() for p in perms],
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM role_permission WHERE permission LIKE 'points.%' OR permission LIKE 'rewards.%'"
    )
    for table in ("points_transaction", "points_posting"):
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
    op.drop_index("ix_points_posting_transaction_id", table_name="points_posting")
    op.drop_index("ix_points_posting_account_id_id", table_name="points_posting")
    op.drop_table("points_posting")
    op.drop_index(op.f("ix_points_period_total_town_id"), table_name="points_period_total")
    op.drop_index("ix_points_period_total_rank_town", table_name="points_period_total")
    op.drop_index("ix_points_period_total_rank_grid", table_name="points_period_total")
    op.drop_index("ix_points_period_total_rank_community", table_name="points_period_total")
    op.drop_index(op.f("ix_points_period_total_household_id"), table_name="points_period_total")
    op.drop_index(op.f("ix_points_period_total_grid_id"), table_name="points_period_total")
    op.drop_index(op.f("ix_points_period_total_community_id"), table_name="points_period_total")
    op.drop_index(op.f("ix_points_period_total_building_id"), table_name="points_period_total")
    op.drop_table("points_period_total")
    op.drop_index(op.f("ix_redemption_town_id"), table_name="redemption")
    op.drop_index(op.f("ix_redemption_reward_id"), table_name="redemption")
    op.drop_index("ix_redemption_person_id_id", table_name="redemption")
    op.drop_index(op.f("ix_redemption_household_id"), table_name="redemption")
    op.drop_index(op.f("ix_redemption_grid_id"), table_name="redemption")
    op.drop_index(op.f("ix_redemption_community_id"), table_name="redemption")
    op.drop_index(op.f("ix_redemption_building_id"), table_name="redemption")
    op.drop_table("redemption")
    op.drop_index(op.f("ix_points_account_town_id"), table_name="points_account")
    op.drop_table("points_account")
    op.drop_index(op.f("ix_reward_town_id"), table_name="reward")
    op.drop_index(op.f("ix_reward_household_id"), table_name="reward")
    op.drop_index(op.f("ix_reward_grid_id"), table_name="reward")
    op.drop_index(op.f("ix_reward_community_id"), table_name="reward")
    op.drop_index(op.f("ix_reward_building_id"), table_name="reward")
    op.drop_table("reward")
    op.drop_index("ix_points_rule_kind_key_valid_from", table_name="points_rule")
    op.drop_table("points_rule")
    op.drop_index(op.f("ix_points_transaction_town_id"), table_name="points_transaction")
    op.drop_table("points_transaction")
    op.execute("DROP FUNCTION points_immutable_guard()")
