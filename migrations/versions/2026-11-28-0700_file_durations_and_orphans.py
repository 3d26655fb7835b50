"""Uploaded files: a voice note's duration, and an index for the orphan sweep

``duration_ms`` is read from a voice note's frames at upload (``REDGRID_MAX_VOICE_SECONDS``).
The hourly ``files.purge_orphans`` job looks for files still unattached after
``REDGRID_ORPHAN_FILE_HOURS``; a partial index on ``created_at`` over unattached rows
keeps that a small range scan however many attached files accumulate.

Revision ID: 20261128_0700
Revises: 20261128_0300
Create Date: 2026-11-28 07:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_0700"
down_revision: str | None = "20261128_0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("stored_file", sa.Column("duration_ms", sa.Integer(), nullable=True))
    op.create_index(
        "ix_stored_file_unattached_created_at",
        "stored_file",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("order_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_stored_file_unattached_created_at", table_name="stored_file")
    op.drop_column("stored_file", "duration_ms")
