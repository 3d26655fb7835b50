"""通报: weekly and monthly bulletins of a town, kept as snapshots.

A bulletin's figures are computed once and stored as JSON: later changes to the
orders (a late 回访, a reopened order) never alter a published bulletin, and a trigger
refuses UPDATE and DELETE on the table. One bulletin
per town, kind and period, so the worker and staff may ask for it again and again.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin


class Bulletin(IdMixin, Base):
    """One published 通报 (the unique index also serves lists of a town)."""

    __tablename__ = "bulletin"
    __table_args__ = (
        UniqueConstraint("town_id", "kind", "period_start"),
        CheckConstraint("kind IN ('weekly', 'monthly')", name="kind"),
        CheckConstraint("period_end >= period_start", name="period"),
    )

    town_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    kind: Mapped[str] = mapped_column(String(8))
    """weekly (周通报, Monday to Sunday) or monthly (月通报, a calendar month)."""
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    """Last business day of the period, inclusive."""
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """The computed bulletin (``BulletinContent``), frozen at generation."""
    generated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=sql_text("now()")
    )
    generated_by: Mapped[int | None] = mapped_column(BigInteger)
    """The staff member who asked for it; null when the worker published it."""
