"""五议 matters, their history, the parties' positions, the household vote and ratings.

The vote is secret from staff yet verifiable in totals: ``matter_ballot`` records
which household voted and when, never the choice; ``matter_vote`` records each
choice under a receipt only the voter was given, with no household, person, time or
serial id that could link it back to a ballot. Totals are counts of ``matter_vote``
and must equal the count of ballots; each voter can find their receipt in the
published list and see their choice counted.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class Matter(IdMixin, ScopedMixin, TimestampMixin, Base):
    """小区事务: a matter of a compound, scoped by the compound."""

    __tablename__ = "matter"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'consulting', 'voting', 'passed', 'reviewing', 'closed', "
            "'declined', 'rejected', 'withdrawn')",
            name="status",
        ),
        CheckConstraint(
            "proposer_kind IN ('resident', 'member', 'body', 'staff')", name="proposer_kind"
        ),
        CheckConstraint(
            "quorum_percent IS NULL OR quorum_percent BETWEEN 1 AND 100", name="quorum"
        ),
        CheckConstraint(
            "threshold_percent IS NULL OR threshold_percent BETWEEN 1 AND 99", name="threshold"
        ),
        Index("ix_matter_grid_id_id", "grid_id", "id"),
    )

    # (grid_id, id) above serves every lookup by grid: the mixin's index is not declared.
    grid_id: Mapped[int | None] = mapped_column(BigInteger, sort_order=92)

    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """The compound (grid-level node) the matter belongs to."""
    status: Mapped[str] = mapped_column(String(16))
    proposer_kind: Mapped[str] = mapped_column(String(16))
    proposer_person_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("person.id"))
    proposer_body_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("partner_body.id"))
    proposed_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    source_evaluation_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("evaluation.id")
    )
    """The evaluation whose low score opened it (重新选聘物业)."""
    quorum_percent: Mapped[int | None] = mapped_column(Integer)
    """Share of the compound's households that must vote for the result to count."""
    threshold_percent: Mapped[int | None] = mapped_column(Integer)
    """Share of the votes cast that must be *yes* for the matter to pass."""
    vote_opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    vote_closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    eligible_households: Mapped[int | None] = mapped_column(Integer)
    """Households with a live resident when the vote opened (the quorum's base)."""
    ballots: Mapped[int | None] = mapped_column(Integer)
    """Households that voted, counted when the vote closed (equal to the votes)."""
    yes_votes: Mapped[int | None] = mapped_column(Integer)
    no_votes: Mapped[int | None] = mapped_column(Integer)
    abstentions: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str | None] = mapped_column(String(16))
    """passed · rejected (too few yes) · no_quorum."""
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    implementation: Mapped[str | None] = mapped_column(Text)
    implemented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ratings: Mapped[int | None] = mapped_column(Integer)
    """Households that rated, counted when the matter closed."""
    rating_average: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    """评议: the households' mean score (1–5) when the matter closed."""
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class MatterEvent(IdMixin, Base):
    """The append-only history of a matter: one row per step."""

    __tablename__ = "matter_event"
    __table_args__ = (Index("ix_matter_event_matter_id_id", "matter_id", "id"),)

    matter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("matter.id"))
    step: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(1000))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class MatterPosition(IdMixin, Base):
    """商议: a party's position on the matter (branch, committee, property company …)."""

    __tablename__ = "matter_position"
    __table_args__ = (
        CheckConstraint(
            "party IN ('branch', 'owners_committee', 'property_company', "
            "'social_organisation', 'unit', 'residents')",
            name="party",
        ),
        CheckConstraint("stance IN ('support', 'oppose', 'conditional', 'abstain')", name="stance"),
        Index("ix_matter_position_matter_id_id", "matter_id", "id"),
    )

    matter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("matter.id"))
    party: Mapped[str] = mapped_column(String(24))
    body_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("partner_body.id"))
    stance: Mapped[str] = mapped_column(String(16))
    statement: Mapped[str] = mapped_column(String(1000))
    recorded_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class MatterBallot(Base):
    """Who voted: one row per household (the primary key refuses a second), no choice."""

    __tablename__ = "matter_ballot"

    matter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("matter.id"), primary_key=True)
    household_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    voter_person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"))
    cast_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class MatterVote(Base):
    """What was voted: a choice under the voter's receipt, unlinkable to the ballot."""

    __tablename__ = "matter_vote"
    __table_args__ = (
        CheckConstraint("choice IN ('yes', 'no', 'abstain')", name="choice"),
        Index("ix_matter_vote_matter_id_receipt", "matter_id", "receipt"),
    )

    receipt: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the matter and a random nonce only the voter was shown."""
    matter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("matter.id"))
    choice: Mapped[str] = mapped_column(String(8))


class MatterRating(Base):
    """评议: one rating (1–5) per household after the matter was carried out."""

    __tablename__ = "matter_rating"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)

    matter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("matter.id"), primary_key=True)
    household_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    rater_person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(500))
    rated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
