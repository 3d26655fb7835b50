"""Questionnaires, evaluations (one per compound, body and period) and answers."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class Questionnaire(IdMixin, ScopedMixin, TimestampMixin, Base):
    """评议问卷: items and their weights as data, kept by a town or community."""

    __tablename__ = "questionnaire"
    __table_args__ = (
        CheckConstraint(
            "target_kind IN ('property_company', 'owners_committee')", name="target_kind"
        ),
    )

    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"), index=True)
    target_kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(100))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    """``[{"code": "cleaning", "text": "环境卫生", "weight": 30}]``; answers score 1–5."""
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class Evaluation(IdMixin, ScopedMixin, TimestampMixin, Base):
    """One period's evaluation of a body by the households of a compound."""

    __tablename__ = "evaluation"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint("retender_below BETWEEN 0 AND 100", name="retender_below"),
        UniqueConstraint("org_unit_id", "body_id", "period"),
    )

    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """The compound whose households answer."""
    questionnaire_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("questionnaire.id"))
    body_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("partner_body.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("property_contract.id"))
    """The property contract in force, for a property company."""
    period: Mapped[str] = mapped_column(String(8))
    """``2026Q3``, ``2026H2`` or ``2026``."""
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(8))
    eligible_households: Mapped[int] = mapped_column(Integer)
    retender_below: Mapped[int] = mapped_column(Integer, server_default=text("60"))
    """An overall score below this may open a 五议 matter to re-tender (重新选聘)."""
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class EvaluationResponse(Base):
    """One household's answer: a score of 1–5 per item (the primary key refuses a second)."""

    __tablename__ = "evaluation_response"

    evaluation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("evaluation.id"), primary_key=True
    )
    household_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    respondent_person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"))
    answers: Mapped[dict[str, int]] = mapped_column(JSONB)
    comment: Mapped[str | None] = mapped_column(String(500))
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
