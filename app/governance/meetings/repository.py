"""All SQL of meetings. Visibility comes only from ``Scope.clause``."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Row, and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.governance.bodies.models import PartnerBody
from app.governance.meetings.models import (
    Meeting,
    MeetingAttendance,
    MeetingBody,
    MeetingDecision,
)
from app.hierarchy.models import OrgUnit
from app.people.models import Person


async def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
    await session.flush()


async def refresh(session: AsyncSession, row: object) -> None:
    await session.flush()
    await session.refresh(row)


async def get_meeting(
    session: AsyncSession, meeting_id: int, scope: Scope, *, lock: bool = False
) -> Meeting | None:
    query = select(Meeting).where(Meeting.id == meeting_id, scope.clause(Meeting))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def meeting_page(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], *, before: int | None, limit: int
) -> Sequence[Meeting]:
    query = select(Meeting).where(*where).order_by(Meeting.id.desc()).limit(limit)
    if before is not None:
        query = query.where(Meeting.id < before)
    return (await session.scalars(query)).all()


async def bodies_of(session: AsyncSession, meeting_id: int) -> Sequence[PartnerBody]:
    query = (
        select(PartnerBody)
        .join(MeetingBody, MeetingBody.body_id == PartnerBody.id)
        .where(MeetingBody.meeting_id == meeting_id)
        .order_by(PartnerBody.id)
    )
    return (await session.scalars(query)).all()


async def decisions_of(session: AsyncSession, meeting_id: int) -> Sequence[MeetingDecision]:
    query = (
        select(MeetingDecision)
        .where(MeetingDecision.meeting_id == meeting_id)
        .order_by(MeetingDecision.id)
    )
    return (await session.scalars(query)).all()


async def count_attendance(session: AsyncSession, meeting_id: int) -> int:
    query = select(func.count()).where(MeetingAttendance.meeting_id == meeting_id)
    return int((await session.execute(query)).scalar_one())


async def check_in(
    session: AsyncSession,
    meeting_id: int,
    person_id: int,
    at: datetime,
    method: str,
    recorded_by: int | None,
) -> MeetingAttendance | None:
    """The person's check-in; None when they were checked in already."""
    statement = (
        insert(MeetingAttendance)
        .values(
            meeting_id=meeting_id,
            person_id=person_id,
            checked_in_at=at,
            method=method,
            recorded_by_user_id=recorded_by,
        )
        .on_conflict_do_nothing(index_elements=["meeting_id", "person_id"])
        .returning(MeetingAttendance)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def attendance_page(
    session: AsyncSession, meeting_id: int, *, after: int | None, limit: int
) -> Sequence[Row[MeetingAttendance, Person]]:
    query = (
        select(MeetingAttendance, Person)
        .join(Person, Person.id == MeetingAttendance.person_id)
        .where(MeetingAttendance.meeting_id == meeting_id)
        .order_by(MeetingAttendance.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(MeetingAttendance.id > after)
    return (await session.execute(query)).all()


async def joint_meetings_by_compound(
    session: AsyncSession, under: Scope, starts: datetime, ends: datetime
) -> Sequence[Row[int, str, int | None, int, datetime | None]]:
    """Every live residential compound under ``under`` with the joint meetings
    (红色物业联席会议) it held in [starts, ends): count and the latest."""
    held = and_(
        Meeting.org_unit_id == OrgUnit.id,
        Meeting.kind == "joint_property",
        Meeting.status == "held",
        Meeting.held_at >= starts,
        Meeting.held_at < ends,
    )
    query = (
        select(
            OrgUnit.id,
            OrgUnit.name,
            OrgUnit.community_id,
            func.count(Meeting.id),
            func.max(Meeting.held_at),
        )
        .select_from(OrgUnit)
        .outerjoin(Meeting, held)
        .where(
            under.clause(OrgUnit),
            OrgUnit.level == "grid",
            OrgUnit.grid_kind == "compound",
            OrgUnit.is_archived.is_(False),
        )
        .group_by(OrgUnit.id)
        .order_by(OrgUnit.id)
    )
    return (await session.execute(query)).all()
