"""A town's own versions of the KPI settings (考核口径), beside the district default.

The district default stays in ``kpi_setting`` (one row per key). A town that weighs or
excludes differently gets versions here, each complete and effective from a business
date; the version in force on a day is the town's latest one effective by then, else
the default. Versions are never edited (a trigger refuses UPDATE and DELETE): a change
is a new version, so a report over a past period keeps the basis it was computed with.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin


class KpiSettingsVersion(IdMixin, Base):
    """One version of a town's KPI settings; the unique (town, version) index also
    serves the in-force lookup."""

    __tablename__ = "kpi_settings_version"
    __table_args__ = (UniqueConstraint("town_id", "version"),)

    town_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """The town (a root org unit) the version applies to."""
    version: Mapped[int] = mapped_column(Integer)
    """1, 2, … within the town, in the order the versions were made."""
    effective_from: Mapped[date] = mapped_column(Date)
    """First business day (Asia/Shanghai) the version is in force."""
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """Every key of ``KpiSettings``: the version is complete, not a patch."""
    note: Mapped[str | None] = mapped_column(String(500))
    """Why the town changed its settings (e.g. the district's notice number)."""
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=sql_text("now()")
    )
