"""security: token versions, rate-limit counters, four-eyes points adjustments,
encrypted phone numbers

Revision ID: 20261128_0100
Revises: 20261128_0500
Create Date: 2026-11-28 01:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.config import get_settings
from app.kit.crypto import KeyRing

revision: str = "20261128_0100"
down_revision: str | None = "20261128_0500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANCESTORS = ("town_id", "community_id", "grid_id", "building_id", "household_id")
REQUEST = "points_adjustment_request"
MOBILE_AAD = b"person.mobile"  # app.people.models.MOBILE_AAD, frozen here
BATCH = 1000


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
    _adjustment_requests()
    _encrypt_mobiles()


def _ring() -> KeyRing:
    keys, active = get_settings().pii_keyring()
    return KeyRing(keys, active)


def _encrypt_mobiles() -> None:
    """PIPL: phone numbers encrypted at rest, under the settings' active PII key, in
    batches (a data migration: the deployment's REDGRID_PII_KEY* must be set when it
    runs), each with its blind index for lookup."""
    op.drop_index("ix_person_mobile", table_name="person")
    op.alter_column(
        "person",
        "mobile",
        type_=sa.LargeBinary(),
        postgresql_using="convert_to(mobile, 'UTF8')",
        existing_nullable=True,
    )
    op.add_column("person", sa.Column("mobile_hash", sa.String(64), nullable=True))
    op.create_index("ix_person_mobile_hash", "person", ["mobile_hash"])
    ring, bind, after = _ring(), op.get_bind(), 0
    select = sa.text(
        "SELECT id, mobile FROM person WHERE id > :after AND mobile IS NOT NULL "
        "AND mobile_hash IS NULL ORDER BY id LIMIT :n"
    )
    update = sa.text("UPDATE person SET mobile = :token, mobile_hash = :hash WHERE id = :id")
    while rows := bind.execute(select, {"after": after, "n": BATCH}).all():
        bind.execute(
            update,
            [
                {
                    "id": row.id,
                    "token": ring.encrypt(bytes(row.mobile).decode(), associated_data=MOBILE_AAD),
                    "hash": ring.index(bytes(row.mobile).decode()),
                }
                for row in rows
            ],
        )
        after = rows[-1].id


def _decrypt_mobiles() -> None:
    ring, bind, after = _ring(), op.get_bind(), 0
    select = sa.text(
        "SELECT id, mobile FROM person WHERE id > :after AND mobile IS NOT NULL "
        "ORDER BY id LIMIT :n"
    )
    update = sa.text("UPDATE person SET mobile = :plain WHERE id = :id")
    while rows := bind.execute(select, {"after": after, "n": BATCH}).all():
        bind.execute(
            update,
            [
                {
                    "id": row.id,
                    "plain": ring.decrypt(bytes(row.mobile), associated_data=MOBILE_AAD).encode(),
                }
                for row in rows
            ],
        )
        after = rows[-1].id
    op.drop_index("ix_person_mobile_hash", table_name="person")
    op.drop_column("person", "mobile_hash")
    op.alter_column(
        "person",
        "mobile",
        type_=sa.String(11),
        postgresql_using="convert_from(mobile, 'UTF8')",
        existing_nullable=True,
    )
    op.create_index("ix_person_mobile", "person", ["mobile"])


def _adjustment_requests() -> None:
    """四眼原则: adjustments above the threshold wait here for a second approver."""
    op.create_table(
        REQUEST,
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("request_key", sa.String(200), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.Column("requester_subject", sa.String(100), nullable=False),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(500), nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        *(sa.Column(column, sa.BigInteger(), nullable=True) for column in ANCESTORS[1:]),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name=op.f(f"ck_{REQUEST}_status")
        ),
        sa.CheckConstraint("amount <> 0", name=op.f(f"ck_{REQUEST}_amount_not_zero")),
        sa.CheckConstraint(
            "(status = 'approved') = (transaction_id IS NOT NULL)",
            name=op.f(f"ck_{REQUEST}_approved_has_transaction"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f(f"fk_{REQUEST}_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["user_account.id"],
            name=op.f(f"fk_{REQUEST}_requested_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["user_account.id"], name=op.f(f"fk_{REQUEST}_decided_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["points_transaction.id"],
            name=op.f(f"fk_{REQUEST}_transaction_id_points_transaction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{REQUEST}")),
        sa.UniqueConstraint("request_key", name=op.f(f"uq_{REQUEST}_request_key")),
        sa.UniqueConstraint("transaction_id", name=op.f(f"uq_{REQUEST}_transaction_id")),
    )
    for column in ("person_id", *ANCESTORS):
        op.create_index(op.f(f"ix_{REQUEST}_{column}"), REQUEST, [column])
    op.create_index(op.f(f"ix_{REQUEST}_status_id"), REQUEST, ["status", "id"])


def downgrade() -> None:
    _decrypt_mobiles()
    op.drop_table(REQUEST)
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
