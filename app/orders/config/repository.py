"""All SQL of the order configuration. Visibility comes only from ``Scope.clause``.

Departments are not scoped rows themselves: a department is seen through the org
unit of its town (``join(OrgUnit)`` follows the one foreign key ``department.town_id``).
Volunteer teams carry their node's ancestor ids (ScopedMixin) like any scoped row.
"""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, delete, exists, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.models import RoleGrant
from app.authz.scope import Scope, Visibility
from app.hierarchy.models import OrgUnit
from app.kit.search import contains
from app.orders.models import (
    CalendarOverride,
    Department,
    DepartmentMember,
    OrderCategory,
    TimeLimitClass,
    VolunteerTeam,
    VolunteerTeamMember,
)
from app.people.models import PartyMember, Person
from app.users.models import UserAccount

Row = TypeVar("Row", OrderCategory, TimeLimitClass, Department, VolunteerTeam)


async def save(
    session: AsyncSession, row: Row, *, unique: str | None = None, error: Exception | None = None
) -> Row:
    """Flush ``row`` and reload its server-set columns; the unique constraint ``unique``
    taken by a concurrent transaction meanwhile is ``error`` (a 409), not a 500."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        if unique is not None and error is not None and unique in str(exc.orig):
            raise error from None
        raise
    await session.refresh(row)
    return row


# ---------------------------------------------------------------- categories


async def get_category(
    session: AsyncSession, code: str, *, for_update: bool = False
) -> OrderCategory | None:
    query = select(OrderCategory).where(OrderCategory.code == code)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def category_page(
    session: AsyncSession, *, after: str | None, limit: int, is_active: bool | None
) -> list[OrderCategory]:
    query = select(OrderCategory).order_by(OrderCategory.code).limit(limit)
    if after is not None:
        query = query.where(OrderCategory.code > after)
    if is_active is not None:
        query = query.where(OrderCategory.is_active.is_(is_active))
    return list((await session.scalars(query)).all())


# ------------------------------------------------------------ time limits


async def get_time_limit(
    session: AsyncSession, code: str, *, for_update: bool = False
) -> TimeLimitClass | None:
    query = select(TimeLimitClass).where(TimeLimitClass.code == code)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def time_limit_page(
    session: AsyncSession, *, after: str | None, limit: int
) -> list[TimeLimitClass]:
    query = select(TimeLimitClass).order_by(TimeLimitClass.code).limit(limit)
    if after is not None:
        query = query.where(TimeLimitClass.code > after)
    return list((await session.scalars(query)).all())


# ---------------------------------------------------------------- calendar


async def overrides_between(
    session: AsyncSession, first: date, last: date
) -> list[CalendarOverride]:
    query = (
        select(CalendarOverride)
        .where(CalendarOverride.day.between(first, last))
        .order_by(CalendarOverride.day)
    )
    return list((await session.scalars(query)).all())


async def put_override(
    session: AsyncSession, day: date, is_workday: bool, note: str | None
) -> tuple[CalendarOverride, bool]:
    """Insert or replace the override of ``day``; also tells whether it was new."""
    values = insert(CalendarOverride).values(day=day, is_workday=is_workday, note=note)
    # xmax = 0 on the returned row version means it was inserted, not updated.
    statement: Any = values.on_conflict_do_update(
        index_elements=[CalendarOverride.day],
        set_={"is_workday": values.excluded.is_workday, "note": values.excluded.note},
    ).returning(literal_column("xmax = 0").label("created"))
    created = (await session.execute(statement)).scalar_one()
    row = CalendarOverride(day=day, is_workday=is_workday, note=note)
    return row, bool(created)


async def delete_override(session: AsyncSession, day: date) -> CalendarOverride | None:
    statement = (
        delete(CalendarOverride)
        .where(CalendarOverride.day == day)
        .returning(CalendarOverride.day, CalendarOverride.is_workday, CalendarOverride.note)
    )
    found = (await session.execute(statement)).first()
    if found is None:
        return None
    return CalendarOverride(day=found.day, is_workday=found.is_workday, note=found.note)


# ------------------------------------------------------------ departments


def _department_columns() -> Select[Any]:
    members = (
        select(func.count())
        .where(DepartmentMember.department_id == Department.id)
        .correlate(Department)
        .scalar_subquery()
    )
    return select(Department, members.label("member_count")).join(OrgUnit)


def _through_town(scopes: Sequence[Scope]) -> ColumnElement[bool]:
    """Visible when any of ``scopes`` reaches the department's town."""
    return or_(*(scope.clause(OrgUnit) for scope in scopes))


async def get_department(
    session: AsyncSession,
    department_id: int,
    scopes: Sequence[Scope],
    *,
    for_update: bool = False,
) -> tuple[Department, int] | None:
    query = _department_columns().where(Department.id == department_id, _through_town(scopes))
    if for_update:
        query = query.with_for_update(of=Department)
    found = (await session.execute(query)).first()
    return (found[0], found[1]) if found else None


async def department_page(
    session: AsyncSession,
    scopes: Sequence[Scope],
    *,
    after: int | None,
    limit: int,
    town_id: int | None,
    q: str | None,
) -> list[tuple[Department, int]]:
    query = _department_columns().where(_through_town(scopes)).order_by(Department.id).limit(limit)
    if after is not None:
        query = query.where(Department.id > after)
    if town_id is not None:
        query = query.where(OrgUnit.id == town_id)
    if q:
        query = query.where(contains(q, Department.name, Department.code))
    return [(row[0], row[1]) for row in await session.execute(query)]


async def department_code_taken(
    session: AsyncSession, code: str, *, except_id: int | None = None
) -> bool:
    query = select(Department.id).where(Department.code == code)
    if except_id is not None:
        query = query.where(Department.id != except_id)
    return (await session.execute(query.limit(1))).first() is not None


async def user_reached(session: AsyncSession, user_id: int, scope: Scope) -> UserAccount | None:
    """An active account holding a grant at a node inside ``scope``."""
    by_grant = exists(
        select(RoleGrant.id)
        .join(OrgUnit, OrgUnit.id == RoleGrant.org_unit_id)
        .where(RoleGrant.user_id == UserAccount.id, scope.clause(OrgUnit))
    )
    query = select(UserAccount).where(
        UserAccount.id == user_id, UserAccount.is_active.is_(True), by_grant
    )
    return (await session.execute(query)).scalar_one_or_none()


async def add_department_member(session: AsyncSession, department_id: int, user_id: int) -> bool:
    """False when the user already was a member."""
    statement = (
        insert(DepartmentMember)
        .values(department_id=department_id, user_id=user_id)
        .on_conflict_do_nothing()
        .returning(DepartmentMember.user_id)
    )
    return (await session.execute(statement)).first() is not None


async def remove_department_member(session: AsyncSession, department_id: int, user_id: int) -> bool:
    statement = (
        delete(DepartmentMember)
        .where(DepartmentMember.department_id == department_id, DepartmentMember.user_id == user_id)
        .returning(DepartmentMember.user_id)
    )
    return (await session.execute(statement)).first() is not None


async def department_member_page(
    session: AsyncSession, department_id: int, *, after: int | None, limit: int
) -> Sequence[Any]:
    query = (
        select(
            UserAccount.id.label("user_id"),
            UserAccount.username,
            UserAccount.display_name,
            UserAccount.is_active,
        )
        .join(DepartmentMember, DepartmentMember.user_id == UserAccount.id)
        .where(DepartmentMember.department_id == department_id)
        .order_by(UserAccount.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(UserAccount.id > after)
    return (await session.execute(query)).all()


# ---------------------------------------------------------- volunteer teams


def _team_columns() -> Select[Any]:
    members = (
        select(func.count())
        .where(VolunteerTeamMember.team_id == VolunteerTeam.id)
        .correlate(VolunteerTeam)
        .scalar_subquery()
    )
    return select(VolunteerTeam, members.label("member_count"))


def _teams_in(scopes: Sequence[Visibility]) -> ColumnElement[bool]:
    return or_(*(scope.clause(VolunteerTeam) for scope in scopes))


async def get_unit(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit | None:
    query = select(OrgUnit).where(OrgUnit.id == unit_id, scope.clause(OrgUnit))
    return (await session.execute(query)).scalar_one_or_none()


async def get_team(
    session: AsyncSession,
    team_id: int,
    scopes: Sequence[Visibility],
    *,
    for_update: bool = False,
) -> tuple[VolunteerTeam, int] | None:
    query = _team_columns().where(VolunteerTeam.id == team_id, _teams_in(scopes))
    if for_update:
        query = query.with_for_update(of=VolunteerTeam)
    found = (await session.execute(query)).first()
    return (found[0], found[1]) if found else None


async def team_page(
    session: AsyncSession,
    scopes: Sequence[Visibility],
    *,
    after: int | None,
    limit: int,
    org_unit_id: int | None,
    q: str | None,
) -> list[tuple[VolunteerTeam, int]]:
    query = _team_columns().where(_teams_in(scopes)).order_by(VolunteerTeam.id).limit(limit)
    if after is not None:
        query = query.where(VolunteerTeam.id > after)
    if org_unit_id is not None:
        query = query.where(VolunteerTeam.org_unit_id == org_unit_id)
    if q:
        query = query.where(contains(q, VolunteerTeam.name))
    return [(row[0], row[1]) for row in await session.execute(query)]


async def team_name_taken(
    session: AsyncSession, org_unit_id: int, name: str, *, except_id: int | None = None
) -> bool:
    query = select(VolunteerTeam.id).where(
        VolunteerTeam.org_unit_id == org_unit_id, VolunteerTeam.name == name
    )
    if except_id is not None:
        query = query.where(VolunteerTeam.id != except_id)
    return (await session.execute(query.limit(1))).first() is not None


async def visible_person(
    session: AsyncSession, person_id: int, people: Scope, members: Scope
) -> tuple[Person, int | None] | None:
    """A live person seen by where they live (``people``) or by their branch (``members``),
    with the branch of their live party membership (None: not a party member)."""
    query = (
        select(Person, PartyMember.branch_id)
        .outerjoin(
            PartyMember,
            (PartyMember.person_id == Person.id) & PartyMember.is_archived.is_(False),
        )
        .where(
            Person.id == person_id,
            Person.is_archived.is_(False),
            people.clause(Person) | members.clause(PartyMember),
        )
    )
    found = (await session.execute(query)).first()
    return (found[0], found[1]) if found else None


async def add_team_member(session: AsyncSession, team_id: int, person_id: int) -> datetime | None:
    """When the person joined; None when they already were a member."""
    statement = (
        insert(VolunteerTeamMember)
        .values(team_id=team_id, person_id=person_id)
        .on_conflict_do_nothing()
        .returning(VolunteerTeamMember.joined_at)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def is_team_member(session: AsyncSession, team_id: int, person_id: int) -> bool:
    found = await session.scalar(
        select(
            exists().where(
                VolunteerTeamMember.team_id == team_id, VolunteerTeamMember.person_id == person_id
            )
        )
    )
    return bool(found)


async def count_non_party_members(session: AsyncSession, team_id: int) -> int:
    """Team members without a live party membership (residents)."""
    live = exists().where(
        PartyMember.person_id == VolunteerTeamMember.person_id, PartyMember.is_archived.is_(False)
    )
    count = await session.scalar(
        select(func.count()).where(VolunteerTeamMember.team_id == team_id, ~live)
    )
    return int(count or 0)


async def remove_team_member(session: AsyncSession, team_id: int, person_id: int) -> bool:
    statement = (
        delete(VolunteerTeamMember)
        .where(VolunteerTeamMember.team_id == team_id, VolunteerTeamMember.person_id == person_id)
        .returning(VolunteerTeamMember.person_id)
    )
    return (await session.execute(statement)).first() is not None


async def team_member_page(
    session: AsyncSession, team_id: int, *, after: int | None, limit: int
) -> Sequence[Any]:
    query = (
        select(
            Person.id.label("person_id"),
            Person.name,
            PartyMember.branch_id,
            VolunteerTeamMember.joined_at,
        )
        .join(VolunteerTeamMember, VolunteerTeamMember.person_id == Person.id)
        .outerjoin(
            PartyMember,
            (PartyMember.person_id == Person.id) & PartyMember.is_archived.is_(False),
        )
        .where(VolunteerTeamMember.team_id == team_id)
        .order_by(Person.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Person.id > after)
    return (await session.execute(query)).all()
