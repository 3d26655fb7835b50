"""Government gateways: signing keys of integration clients, nonces of signed requests,
and step reports to 12345 platforms

``api_client`` gains its signing key (sealed under the PII key ring, like mobiles),
its algorithm (``hmac-sha256`` / ``hmac-sm3``) and the URL its orders' steps are
reported to. ``request_nonce`` remembers spent nonces (one per client and nonce) until
they expire; ``gov_report`` holds the step reports, NOTIFYing ``redgrid_gov_reports``
on insert like the other drain tables.

Revision ID: 20261128_0800
Revises: 20261128_0300
Create Date: 2026-11-28 08:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_0800"
down_revision: str | None = "20261128_0700"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_client", sa.Column("signing_secret", sa.LargeBinary(), nullable=True))
    op.add_column("api_client", sa.Column("signing_algorithm", sa.String(16), nullable=True))
    op.add_column("api_client", sa.Column("report_url", sa.String(2000), nullable=True))

    op.create_table(
        "request_nonce",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "nonce", name="pk_request_nonce"),
    )
    op.create_index("ix_request_nonce_expires_at", "request_nonce", ["expires_at"])

    op.create_table(
        "gov_report",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("api_client_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(24), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_response_excerpt", sa.String(1000), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')", name=op.f("ck_gov_report_status")
        ),
        sa.ForeignKeyConstraint(
            ["api_client_id"],
            ["api_client.id"],
            name="fk_gov_report_api_client_id_api_client",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_gov_report"),
        sa.UniqueConstraint(
            "api_client_id", "event_id", name="uq_gov_report_api_client_id_event_id"
        ),
    )
    op.create_index(
        "ix_gov_report_due",
        "gov_report",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_gov_report_waiting",
        "gov_report",
        ["api_client_id", "order_id", "event_id"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_gov_report_order_id", "gov_report", ["order_id"])
    op.execute(
        "CREATE TRIGGER gov_report_notify AFTER INSERT ON gov_report "
        "FOR EACH STATEMENT EXECUTE FUNCTION redgrid_notify_channel('redgrid_gov_reports')"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER gov_report_notify ON gov_report")
    op.drop_table("gov_report")
    op.drop_table("request_nonce")
    op.drop_column("api_client", "report_url")
    op.drop_column("api_client", "signing_algorithm")
    op.drop_column("api_client", "signing_secret")
