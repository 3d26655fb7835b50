"""SQL of the participation reports: facts for a set of people or a subtree, read in
one query each. Subtrees are ``Scope.clause`` predicates; a registration is live at a
moment when it was confirmed before it and not withdrawn by then."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.orders.models import ServiceOrder, VolunteerTeam, VolunteerTeamMember
from app.participation.models import Activity, ActivitySignup
from app.participation.registrations.models import DualRegistration
from app.participation.reports.rules import Attendance, ClosedOrder, Facts, WishShare
from app.participation.units.models import WorkUnit, WorkUnitMember, WorkUnitPairing
from app.participation.wishes.models import MicroWish, MicroWishParticipant
from app.people.models import PartyMember, Person


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    """Exclusive."""
    to_date: date


async def find_node(session: AsyncSession, scope: Scope, unit_id: int) -> OrgUnit | None:
    query = select(OrgUnit).where(OrgUnit.id == unit_id, scope.clause(OrgUnit))
    return (await session.execute(query)).scalar_one_or_none()


async def first_town(session: AsyncSession) -> int | None:
    return await session.scalar(
        select(OrgUnit.id)
        .where(OrgUnit.level == "town", OrgUnit.is_archived.is_(False))
        .order_by(OrgUnit.id)
        .limit(1)
    )


async def communities(session: AsyncSession, under: Scope) -> Sequence[OrgUnit]:
    query = (
        select(OrgUnit)
        .where(OrgUnit.level == "community", OrgUnit.is_archived.is_(False), under.clause(OrgUnit))
        .order_by(OrgUnit.code)
    )
    return (await session.scalars(query)).all()


async def children(session: AsyncSession, node_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(OrgUnit.id, OrgUnit.name).where(OrgUnit.parent_id == node_id).order_by(OrgUnit.id)
    )
    return {row[0]: row[1] for row in rows}


def _live_pairing(on: date) -> ColumnElement[bool]:
    return and_(
        WorkUnitPairing.started_on <= on,
        or_(WorkUnitPairing.ended_on.is_(None), WorkUnitPairing.ended_on >= on),
    )


async def work_units(session: AsyncSession, under: Scope, on: date) -> Sequence[WorkUnit]:
    """Units registered under the node, or paired (live on ``on``) with a node under it."""
    paired = select(WorkUnitPairing.work_unit_id).where(
        under.clause(WorkUnitPairing), _live_pairing(on)
    )
    query = (
        select(WorkUnit)
        .where(
            or_(under.clause(WorkUnit), WorkUnit.id.in_(paired)), WorkUnit.is_archived.is_(False)
        )
        .order_by(WorkUnit.id)
    )
    return (await session.scalars(query)).all()


async def rosters(session: AsyncSession, unit_ids: list[int]) -> list[tuple[Any, ...]]:
    """(unit id, person id) of the rosters."""
    rows = await session.execute(
        select(WorkUnitMember.work_unit_id, WorkUnitMember.person_id).where(
            WorkUnitMember.work_unit_id.in_(unit_ids)
        )
    )
    return [tuple(row) for row in rows]


def _live_at(moment: datetime) -> ColumnElement[bool]:
    return and_(
        DualRegistration.confirmed_at < moment,
        or_(DualRegistration.withdrawn_at.is_(None), DualRegistration.withdrawn_at >= moment),
    )


async def live_registrations(
    session: AsyncSession,
    moment: datetime,
    *,
    people: list[int] | None = None,
    under: Scope | None = None,
) -> list[tuple[Any, ...]]:
    """(person, kind, community, work unit) of registrations live at ``moment``."""
    query = select(
        DualRegistration.person_id,
        DualRegistration.kind,
        DualRegistration.community_id,
        DualRegistration.work_unit_id,
    ).where(_live_at(moment))
    if people is not None:
        query = query.where(DualRegistration.person_id.in_(people))
    if under is not None:
        query = query.where(under.clause(DualRegistration))
    return [tuple(row) for row in await session.execute(query)]


async def in_service_residents(session: AsyncSession, under: Scope) -> list[tuple[Any, ...]]:
    """(person, community) of live in-service party members living under the node."""
    query = (
        select(Person.id, Person.community_id)
        .join(PartyMember, PartyMember.person_id == Person.id)
        .where(
            under.clause(Person),
            Person.is_archived.is_(False),
            PartyMember.is_archived.is_(False),
            PartyMember.is_in_service.is_(True),
        )
    )
    return [tuple(row) for row in await session.execute(query)]


async def paired_rosters(session: AsyncSession, under: Scope, on: date) -> list[tuple[Any, ...]]:
    """(person, community) of the rosters of units paired (live on ``on``) under the node."""
    query = (
        select(WorkUnitMember.person_id, WorkUnitPairing.community_id)
        .join(WorkUnitPairing, WorkUnitPairing.work_unit_id == WorkUnitMember.work_unit_id)
        .where(under.clause(WorkUnitPairing), _live_pairing(on))
    )
    return [tuple(row) for row in await session.execute(query)]


def _who(column: Any, people: list[int] | None) -> ColumnElement[bool]:
    return column.in_(people) if people is not None else true()


async def facts(
    session: AsyncSession,
    window: Window,
    *,
    people: list[int] | None = None,
    under: Scope | None = None,
) -> Facts:
    """Attendances, closed orders and fulfilled wishes of the period, of ``people``
    and/or under the node."""
    return Facts(
        attendances=tuple(await attendances(session, window, people=people, under=under)),
        orders=tuple(await closed_orders(session, window, people=people, under=under)),
        wishes=tuple(await wish_shares(session, window, people=people, under=under)),
    )


async def attendances(
    session: AsyncSession,
    window: Window,
    *,
    people: list[int] | None = None,
    under: Scope | None = None,
) -> list[Attendance]:
    """Check-ins (not voided) at activities (not cancelled) starting in the window."""
    query = (
        select(
            ActivitySignup.person_id,
            Activity.id,
            Activity.community_id,
            ActivitySignup.service_minutes,
            ActivitySignup.awarded_points,
        )
        .join(Activity, Activity.id == ActivitySignup.activity_id)
        .where(
            ActivitySignup.checked_in_at.is_not(None),
            ActivitySignup.voided_at.is_(None),
            Activity.status != "cancelled",
            Activity.starts_at >= window.start,
            Activity.starts_at < window.end,
            _who(ActivitySignup.person_id, people),
            under.clause(Activity) if under is not None else true(),
        )
    )
    return [
        Attendance(row[0], row[1], row[2], row[3] or 0, row[4] or 0)
        for row in await session.execute(query)
    ]


async def closed_orders(
    session: AsyncSession,
    window: Window,
    *,
    people: list[int] | None = None,
    under: Scope | None = None,
) -> list[ClosedOrder]:
    query = select(
        ServiceOrder.id, ServiceOrder.assignee_person_id, ServiceOrder.community_id
    ).where(
        ServiceOrder.status == "closed",
        ServiceOrder.assignee_person_id.is_not(None),
        ServiceOrder.closed_at >= window.start,
        ServiceOrder.closed_at < window.end,
        _who(ServiceOrder.assignee_person_id, people),
        under.clause(ServiceOrder) if under is not None else true(),
    )
    return [ClosedOrder(row[0], row[1] or 0, row[2]) for row in await session.execute(query)]


async def wish_shares(
    session: AsyncSession,
    window: Window,
    *,
    people: list[int] | None = None,
    under: Scope | None = None,
) -> list[WishShare]:
    query = (
        select(
            MicroWish.id,
            MicroWishParticipant.person_id,
            MicroWish.community_id,
            MicroWishParticipant.awarded_points,
        )
        .join(MicroWishParticipant, MicroWishParticipant.wish_id == MicroWish.id)
        .where(
            MicroWish.status == "fulfilled",
            MicroWish.fulfilled_at >= window.start,
            MicroWish.fulfilled_at < window.end,
            _who(MicroWishParticipant.person_id, people),
            under.clause(MicroWish) if under is not None else true(),
        )
    )
    return [WishShare(row[0], row[1], row[2], row[3] or 0) for row in await session.execute(query)]


async def hours_by_child(
    session: AsyncSession, window: Window, under: Scope, child_column: str
) -> list[tuple[Any, ...]]:
    """(child id or null, person, minutes, points) of attendances under the node."""
    query = (
        select(
            getattr(Activity, child_column),
            ActivitySignup.person_id,
            ActivitySignup.service_minutes,
            ActivitySignup.awarded_points,
        )
        .join(Activity, Activity.id == ActivitySignup.activity_id)
        .where(
            ActivitySignup.checked_in_at.is_not(None),
            ActivitySignup.voided_at.is_(None),
            Activity.status != "cancelled",
            Activity.starts_at >= window.start,
            Activity.starts_at < window.end,
            under.clause(Activity),
        )
    )
    return [tuple(row) for row in await session.execute(query)]


async def teams_of(session: AsyncSession, under: Scope) -> list[tuple[Any, ...]]:
    """(team id, team name, person id) of the teams under the node and their members."""
    query = (
        select(VolunteerTeam.id, VolunteerTeam.name, VolunteerTeamMember.person_id)
        .join(VolunteerTeamMember, VolunteerTeamMember.team_id == VolunteerTeam.id)
        .where(under.clause(VolunteerTeam))
        .order_by(VolunteerTeam.id)
    )
    return [tuple(row) for row in await session.execute(query)]


async def names(session: AsyncSession, people: list[int]) -> dict[int, str]:
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(people)))
    return {row[0]: row[1] for row in rows}


async def record_rows(
    session: AsyncSession, person_id: int, window: Window
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A person's attendances (voided included, marked) and fulfilled wishes."""
    activities = await session.execute(
        select(
            Activity.id,
            Activity.title,
            Activity.starts_at,
            ActivitySignup.service_minutes,
            ActivitySignup.awarded_points,
            ActivitySignup.voided_at.is_not(None),
        )
        .join(Activity, Activity.id == ActivitySignup.activity_id)
        .where(
            ActivitySignup.person_id == person_id,
            ActivitySignup.checked_in_at.is_not(None),
            Activity.status != "cancelled",
            Activity.starts_at >= window.start,
            Activity.starts_at < window.end,
        )
        .order_by(Activity.starts_at, Activity.id)
    )
    wishes = await session.execute(
        select(
            MicroWish.id,
            MicroWish.title,
            MicroWish.fulfilled_at,
            MicroWishParticipant.awarded_points,
        )
        .join(MicroWishParticipant, MicroWishParticipant.wish_id == MicroWish.id)
        .where(
            MicroWishParticipant.person_id == person_id,
            MicroWish.status == "fulfilled",
            MicroWish.fulfilled_at >= window.start,
            MicroWish.fulfilled_at < window.end,
        )
        .order_by(MicroWish.fulfilled_at, MicroWish.id)
    )
    return [tuple(r) for r in activities], [tuple(r) for r in wishes]


async def person_in(session: AsyncSession, person_id: int, scope: Scope) -> Person | None:
    query = select(Person).where(Person.id == person_id, scope.clause(Person))
    return (await session.execute(query)).scalar_one_or_none()
