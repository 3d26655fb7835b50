"""identity, access and the five-level hierarchy

Revision ID: 20261121_1730
Revises: 20261121_1700
Create Date: 2026-11-21 17:30:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261121_1730"
down_revision: str | None = "20261121_1700"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ROLES = [
    ("town_admin", "镇(街道)管理员", "Town administrator"),
    ("community_admin", "社区管理员", "Community administrator"),
    ("dispatcher", "派单员", "Dispatcher"),
    ("grid_worker", "网格员", "Grid worker"),
    ("department_staff", "职能部门人员", "Department staff"),
    ("member", "党员", "Party member"),
    ("resident", "居民", "Resident"),
    ("auditor", "审计员", "Auditor"),
]

_ADMIN = [
    "org.read",
    "org.write",
    "org.import",
    "people.read",
    "people.write",
    "pii",
    "members.read",
    "members.write",
    "users.read",
    "users.write",
    "audit.read",
]
ROLE_PERMISSIONS = {
    "town_admin": _ADMIN,
    "community_admin": _ADMIN,
    "dispatcher": ["org.read", "people.read", "members.read"],
    "grid_worker": ["org.read", "people.read", "people.write", "members.read"],
    "department_staff": ["org.read"],
    "member": ["org.read"],
    "resident": [],
    "auditor": ["org.read", "people.read", "members.read", "users.read", "audit.read"],
}

# 等保 2.0: audit records are append-only. The only delete allowed is the retention
# purge, which sets redgrid.audit_purge for its own transaction and removes rows
# older than the 180-day minimum.
AUDIT_GUARD = [
    """
CREATE FUNCTION audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('redgrid.audit_purge', true) = 'on'
       AND OLD.occurred_at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_guard()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_guard()""",
]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("client_ip", postgresql.INET(), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("town_id", sa.BigInteger(), nullable=True),
        sa.Column("community_id", sa.BigInteger(), nullable=True),
        sa.Column("grid_id", sa.BigInteger(), nullable=True),
        sa.Column("building_id", sa.BigInteger(), nullable=True),
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(
        "ix_audit_event_actor_user_id_id", "audit_event", ["actor_user_id", "id"], unique=False
    )
    op.create_index(
        "ix_audit_event_community_id_id", "audit_event", ["community_id", "id"], unique=False
    )
    op.create_index(
        "ix_audit_event_occurred_at_id", "audit_event", ["occurred_at", "id"], unique=False
    )
    op.create_index("ix_audit_event_town_id_id", "audit_event", ["town_id", "id"], unique=False)
    op.create_table(
        "org_unit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("grid_kind", sa.String(length=16), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("contact_name", sa.String(length=50), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("is_archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
        sa.CheckConstraint(
            "(grid_kind IS NULL) OR (level = 'grid')",
            name=op.f("ck_org_unit_grid_kind_only_on_grids"),
        ),
        sa.CheckConstraint(
            "(level = 'town') = (parent_id IS NULL)", name=op.f("ck_org_unit_town_is_root")
        ),
        sa.CheckConstraint(
            "grid_kind IS NULL OR grid_kind IN ('compound', 'street', 'functional')",
            name=op.f("ck_org_unit_grid_kind"),
        ),
        sa.CheckConstraint(
            "level IN ('town', 'community', 'grid', 'building', 'household')",
            name=op.f("ck_org_unit_level"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_unit.id"], name=op.f("fk_org_unit_parent_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_org_unit_code")),
    )
    op.create_index(op.f("ix_org_unit_building_id"), "org_unit", ["building_id"], unique=False)
    op.create_index(op.f("ix_org_unit_community_id"), "org_unit", ["community_id"], unique=False)
    op.create_index(op.f("ix_org_unit_grid_id"), "org_unit", ["grid_id"], unique=False)
    op.create_index(op.f("ix_org_unit_household_id"), "org_unit", ["household_id"], unique=False)
    op.create_index(
        "ix_org_unit_name_trgm",
        "org_unit",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index("ix_org_unit_parent_id_name", "org_unit", ["parent_id", "name"], unique=False)
    op.create_index(op.f("ix_org_unit_town_id"), "org_unit", ["town_id"], unique=False)
    op.create_table(
        "role",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=50), nullable=False),
        sa.Column("name_en", sa.String(length=50), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_role")),
    )
    op.create_table(
        "api_client",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "scopes",
            postgresql.ARRAY(sa.String(length=64)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_api_client_org_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client")),
        sa.UniqueConstraint("client_id", name=op.f("uq_api_client_client_id")),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=True),
        sa.Column("id_number_cipher", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("id_number_last4", sa.String(length=4), nullable=True),
        sa.Column("gender", sa.String(length=8), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("home_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("address_building", sa.String(length=20), nullable=True),
        sa.Column("address_unit", sa.String(length=20), nullable=True),
        sa.Column("address_room", sa.String(length=20), nullable=True),
        sa.Column("is_archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["home_unit_id"], ["org_unit.id"], name=op.f("fk_person_home_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("id_number_hash", name=op.f("uq_person_id_number_hash")),
    )
    op.create_index(op.f("ix_person_building_id"), "person", ["building_id"], unique=False)
    op.create_index(op.f("ix_person_community_id"), "person", ["community_id"], unique=False)
    op.create_index(op.f("ix_person_grid_id"), "person", ["grid_id"], unique=False)
    op.create_index(op.f("ix_person_home_unit_id"), "person", ["home_unit_id"], unique=False)
    op.create_index(op.f("ix_person_household_id"), "person", ["household_id"], unique=False)
    op.create_index(op.f("ix_person_mobile"), "person", ["mobile"], unique=False)
    op.create_index(op.f("ix_person_town_id"), "person", ["town_id"], unique=False)
    op.create_table(
        "role_permission",
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("permission", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["role"], ["role.code"], name=op.f("fk_role_permission_role_role"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("role", "permission", name=op.f("pk_role_permission")),
    )
    op.create_table(
        "party_member",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("branch_id", sa.BigInteger(), nullable=False),
        sa.Column("join_date", sa.Date(), nullable=False),
        sa.Column("is_in_service", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("employer_unit", sa.String(length=100), nullable=True),
        sa.Column("residence_community_id", sa.BigInteger(), nullable=True),
        sa.Column("employer_community_id", sa.BigInteger(), nullable=True),
        sa.Column("is_archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["branch_id"], ["org_unit.id"], name=op.f("fk_party_member_branch_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["employer_community_id"],
            ["org_unit.id"],
            name=op.f("fk_party_member_employer_community_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_party_member_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["residence_community_id"],
            ["org_unit.id"],
            name=op.f("fk_party_member_residence_community_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_member")),
        sa.UniqueConstraint("person_id", name=op.f("uq_party_member_person_id")),
    )
    op.create_index(op.f("ix_party_member_branch_id"), "party_member", ["branch_id"], unique=False)
    op.create_index(
        op.f("ix_party_member_building_id"), "party_member", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_party_member_community_id"), "party_member", ["community_id"], unique=False
    )
    op.create_index(
        op.f("ix_party_member_employer_community_id"),
        "party_member",
        ["employer_community_id"],
        unique=False,
    )
    op.create_index(op.f("ix_party_member_grid_id"), "party_member", ["grid_id"], unique=False)
    op.create_index(
        op.f("ix_party_member_household_id"), "party_member", ["household_id"], unique=False
    )
    op.create_index(
        op.f("ix_party_member_residence_community_id"),
        "party_member",
        ["residence_community_id"],
        unique=False,
    )
    op.create_index(op.f("ix_party_member_town_id"), "party_member", ["town_id"], unique=False)
    op.create_table(
        "refresh_token",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_refresh_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_token_token_hash")),
    )
    op.create_index("ix_refresh_token_family_id", "refresh_token", ["family_id"], unique=False)
    op.create_index(op.f("ix_refresh_token_user_id"), "refresh_token", ["user_id"], unique=False)
    op.create_table(
        "role_grant",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("granted_by", sa.BigInteger(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["granted_by"], ["user_account.id"], name=op.f("fk_role_grant_granted_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_role_grant_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(["role"], ["role.code"], name=op.f("fk_role_grant_role_role")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_role_grant_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grant")),
    )
    op.create_index(op.f("ix_role_grant_org_unit_id"), "role_grant", ["org_unit_id"], unique=False)
    op.create_index(op.f("ix_role_grant_user_id"), "role_grant", ["user_id"], unique=False)
    op.create_index(
        "uq_role_grant_user_id_role_org_unit_id",
        "role_grant",
        ["user_id", "role", "org_unit_id"],
        unique=True,
    )
    op.create_table(
        "user_identity",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=64), server_default=sa.text("''"), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_identity_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_identity")),
        sa.UniqueConstraint(
            "provider", "app_id", "subject", name=op.f("uq_user_identity_provider_app_id_subject")
        ),
    )
    op.create_index(op.f("ix_user_identity_user_id"), "user_identity", ["user_id"], unique=False)
    op.add_column("user_account", sa.Column("person_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "user_account",
        sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "user_account",
        sa.Column("failure_window_started_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "user_account", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "user_account",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.create_unique_constraint(op.f("uq_user_account_person_id"), "user_account", ["person_id"])
    op.create_foreign_key(
        op.f("fk_user_account_person_id_person"), "user_account", "person", ["person_id"], ["id"]
    )
    op.create_index(
        "ix_org_unit_code_trgm",
        "org_unit",
        ["code"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"code": "gin_trgm_ops"},
    )

    role = sa.table("role", sa.column("code"), sa.column("name_zh"), sa.column("name_en"))
    op.bulk_insert(role, [{"code": c, "name_zh": zh, "name_en": en} for c, zh, en in ROLES])
    role_permission = sa.table("role_permission", sa.column("role"), sa.column("permission"))
    op.bulk_insert(
        role_permission,
        [{"role": r, "permission": p} for r, perms in ROLE_PERMISSIONS.items() for p in perms],
    )
    for statement in AUDIT_GUARD:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
    op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION audit_event_guard()")
    op.drop_index(
        "ix_org_unit_code_trgm",
        table_name="org_unit",
        postgresql_using="gin",
        postgresql_ops={"code": "gin_trgm_ops"},
    )
    op.drop_constraint(op.f("fk_user_account_person_id_person"), "user_account", type_="foreignkey")
    op.drop_constraint(op.f("uq_user_account_person_id"), "user_account", type_="unique")
    op.drop_column("user_account", "version")
    op.drop_column("user_account", "locked_until")
    op.drop_column("user_account", "failure_window_started_at")
    op.drop_column("user_account", "failed_logins")
    op.drop_column("user_account", "person_id")
    op.drop_index(op.f("ix_user_identity_user_id"), table_name="user_identity")
    op.drop_table("user_identity")
    op.drop_index("uq_role_grant_user_id_role_org_unit_id", table_name="role_grant")
    op.drop_index(op.f("ix_role_grant_user_id"), table_name="role_grant")
    op.drop_index(op.f("ix_role_grant_org_unit_id"), table_name="role_grant")
    op.drop_table("role_grant")
    op.drop_index(op.f("ix_refresh_token_user_id"), table_name="refresh_token")
    op.drop_index("ix_refresh_token_family_id", table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_index(op.f("ix_party_member_town_id"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_residence_community_id"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_household_id"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_grid_id"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_employer_community_id"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_community_id"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_building_id"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_branch_id"), table_name="party_member")
    op.drop_table("party_member")
    op.drop_table("role_permission")
    op.drop_index(op.f("ix_person_town_id"), table_name="person")
    op.drop_index(op.f("ix_person_mobile"), table_name="person")
    op.drop_index(op.f("ix_person_household_id"), table_name="person")
    op.drop_index(op.f("ix_person_home_unit_id"), table_name="person")
    op.drop_index(op.f("ix_person_grid_id"), table_name="person")
    op.drop_index(op.f("ix_person_community_id"), table_name="person")
    op.drop_index(op.f("ix_person_building_id"), table_name="person")
    op.drop_table("person")
    op.drop_table("api_client")
    op.drop_table("role")
    op.drop_index(op.f("ix_org_unit_town_id"), table_name="org_unit")
    op.drop_index("ix_org_unit_parent_id_name", table_name="org_unit")
    op.drop_index(
        "ix_org_unit_name_trgm",
        table_name="org_unit",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_index(op.f("ix_org_unit_household_id"), table_name="org_unit")
    op.drop_index(op.f("ix_org_unit_grid_id"), table_name="org_unit")
    op.drop_index(op.f("ix_org_unit_community_id"), table_name="org_unit")
    op.drop_index(op.f("ix_org_unit_building_id"), table_name="org_unit")
    op.drop_table("org_unit")
    op.drop_index("ix_audit_event_town_id_id", table_name="audit_event")
    op.drop_index("ix_audit_event_occurred_at_id", table_name="audit_event")
    op.drop_index("ix_audit_event_community_id_id", table_name="audit_event")
    op.drop_index("ix_audit_event_actor_user_id_id", table_name="audit_event")
    op.drop_table("audit_event")
