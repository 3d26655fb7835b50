"""微心愿: small wishes of residents in need, posted to their community's board.

Staff or grid workers post a wish on the resident's behalf; a member, a volunteer team
or a unit claims it (认领) with a pledge date and the people taking part (a group claim
names several); fulfilment brings photos and a short story, the resident's thanks
follow. Each participant earns the ``micro_wish`` rule's points once.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class MicroWish(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A wish, placed at (and scoped by) the wisher's home node."""

    __tablename__ = "micro_wish"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'claimed', 'fulfilled', 'cancelled')", name="status"),
        CheckConstraint(
            "claimant_kind IS NULL OR claimant_kind IN ('member', 'team', 'work_unit')",
            name="claimant_kind",
        ),
        CheckConstraint(
            "(status IN ('claimed', 'fulfilled')) = (claimant_kind IS NOT NULL)",
            name="claimed_has_claimant",
        ),
        # The board: open wishes of a community, newest first.
        Index("ix_micro_wish_community_id_status_id", "community_id", "status", "id"),
    )

    # (community_id, status, id) above serves every lookup by community: the mixin's
    # index is not declared.
    community_id: Mapped[int | None] = mapped_column(BigInteger, sort_order=91)

    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    wisher_person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    posted_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'open'"))
    claimant_kind: Mapped[str | None] = mapped_column(String(16))
    claimant_person_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("person.id"))
    claimant_team_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("volunteer_team.id")
    )
    claimant_work_unit_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("work_unit.id")
    )
    pledge_date: Mapped[date | None] = mapped_column(Date)
    """The day the claimant promised to fulfil it by (承诺完成日期)."""
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    photos: Mapped[list[str]] = mapped_column(ARRAY(String(500)), server_default=text("'{}'"))
    story: Mapped[str | None] = mapped_column(String(1000))
    thanks: Mapped[str | None] = mapped_column(String(500))
    thanked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class MicroWishParticipant(Base):
    """A person taking part in fulfilling a claimed wish, and what they earned."""

    __tablename__ = "micro_wish_participant"

    wish_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("micro_wish.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("person.id"), primary_key=True, index=True
    )
    award_transaction_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("points_transaction.id")
    )
    awarded_points: Mapped[int | None] = mapped_column(Integer)
