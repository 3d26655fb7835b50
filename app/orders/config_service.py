"""Use cases of the configuration orders depend on. Services flush, never commit.

Who may do what:
- Categories, time-limit classes and the working-day calendar are global data shared
  by every town. Anyone holding an ``orders.*`` permission reads them (residents pick
  a category when they place an order); only superusers and holders of
  ``orders.config`` granted *at a town* change them — a community admin's
  ``orders.config`` reaches its own subtree, not data every town shares (403
  ``order_config.town_level_required``).
- Departments (职能部门) belong to a town and are seen through it: ``orders.read`` or
  ``orders.config`` over the town node reads them, ``orders.config`` over it writes
  (so in practice town-level staff: 街乡吹哨、部门报到 is the town's call).
- Volunteer teams (志愿服务队) are scoped by their node like any scoped row.
Every write records one audit event in the same transaction.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import MEMBERS_READ, ORDERS_CONFIG, ORDERS_READ, PEOPLE_READ
from app.authz.principal import Principal
from app.authz.scope import Placed, Scope
from app.hierarchy.rules import ANCESTOR_COLUMNS
from app.kit.calendar import WorkingCalendar
from app.kit.pagination import InvalidCursor, decode_cursor, encode_cursor
from app.orders import config_repository as repository
from app.orders.config_errors import (
    AlreadyDepartmentMember,
    AlreadyTeamMember,
    CategoryCodeTaken,
    CategoryNotFound,
    DepartmentCodeTaken,
    DepartmentMemberNotFound,
    DepartmentNotFound,
    DepartmentUserNotFound,
    GlobalConfigForbidden,
    InvalidDateRange,
    NotAPartyMember,
    NotATown,
    OverrideNotFound,
    TeamMemberNotFound,
    TeamNameTaken,
    TeamNotFound,
    TeamPersonNotFound,
    TeamUnitNotFound,
    TimeLimitCodeTaken,
    TimeLimitNotFound,
    TownNotFound,
    UnitArchived,
    UnknownTimeLimit,
)
from app.orders.config_schemas import (
    CalendarOverrideIn,
    CalendarOverrideRead,
    CalendarYear,
    DepartmentCreate,
    DepartmentMemberPage,
    DepartmentMemberRead,
    DepartmentPage,
    DepartmentRead,
    DepartmentUpdate,
    OrderCategoryCreate,
    OrderCategoryPage,
    OrderCategoryRead,
    OrderCategoryUpdate,
    TeamMemberPage,
    TeamMemberRead,
    TimeLimitClassCreate,
    TimeLimitClassPage,
    TimeLimitClassRead,
    TimeLimitClassUpdate,
    VolunteerTeamCreate,
    VolunteerTeamPage,
    VolunteerTeamRead,
    VolunteerTeamUpdate,
    WorkingDays,
)
from app.orders.models import Department, OrderCategory, TimeLimitClass, VolunteerTeam

MAX_RANGE_DAYS = 366
"""``/calendar/working-days`` answers at most a year at a time."""


@dataclass
class _TownPlace:
    """A department's place for the audit log: its town."""

    town_id: int
    community_id: int | None = None
    grid_id: int | None = None
    building_id: int | None = None
    household_id: int | None = None


def _require_global(principal: Principal) -> None:
    if principal.is_superuser:
        return
    if not any(g.level == "town" and ORDERS_CONFIG in g.permissions for g in principal.grants):
        raise GlobalConfigForbidden()


async def _record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    target: tuple[str, int | str],
    summary: str,
    place: Placed | None = None,
) -> None:
    await audit_service.record(
        session,
        principal,
        action,
        summary=summary,
        target_type=target[0],
        target_id=target[1],
        place=place,
    )


def _after(cursor: str | None, kind: type) -> Any:
    key = decode_cursor(cursor, 1)
    if key is None:
        return None
    if not isinstance(key[0], kind) or isinstance(key[0], bool):
        raise InvalidCursor()
    return key[0]


def _next(rows: list[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([key(rows[-1])])


def _changes(row: Any, data: Any) -> dict[str, Any]:
    updates = data.model_dump(exclude_unset=True, mode="json")
    return {k: v for k, v in updates.items() if getattr(row, k) != v}


# ---------------------------------------------------------------- categories


async def list_categories(
    session: AsyncSession, *, limit: int, cursor: str | None, is_active: bool | None
) -> OrderCategoryPage:
    rows = await repository.category_page(
        session, after=_after(cursor, str), limit=limit, is_active=is_active
    )
    items, next_cursor = _next(rows, limit, lambda r: r.code)
    return OrderCategoryPage(
        items=[OrderCategoryRead.model_validate(r) for r in items], next_cursor=next_cursor
    )


async def get_category(session: AsyncSession, code: str) -> OrderCategoryRead:
    category = await repository.get_category(session, code)
    if category is None:
        raise CategoryNotFound()
    return OrderCategoryRead.model_validate(category)


async def _check_time_limit(session: AsyncSession, code: str) -> None:
    if await repository.get_time_limit(session, code) is None:
        raise UnknownTimeLimit(f"办理时限类别 {code} 不存在", f"No time-limit class {code}")


async def create_category(
    session: AsyncSession, principal: Principal, data: OrderCategoryCreate
) -> OrderCategoryRead:
    _require_global(principal)
    if await repository.get_category(session, data.code) is not None:
        raise CategoryCodeTaken()
    await _check_time_limit(session, data.default_time_limit)
    category = await repository.save(
        session,
        OrderCategory(**data.model_dump()),
        unique="pk_order_category",
        error=CategoryCodeTaken(),
    )
    summary = f"新增服务类别「{category.name_zh}」({category.code})"
    await _record(
        session, principal, "order_category.create", ("order_category", data.code), summary
    )
    return OrderCategoryRead.model_validate(category)


async def update_category(
    session: AsyncSession, principal: Principal, code: str, data: OrderCategoryUpdate
) -> OrderCategoryRead:
    """Deactivating a category stops new orders in it; existing orders keep it."""
    _require_global(principal)
    category = await repository.get_category(session, code, for_update=True)
    if category is None:
        raise CategoryNotFound()
    changes = _changes(category, data)
    if not changes:
        return OrderCategoryRead.model_validate(category)
    if "default_time_limit" in changes:
        await _check_time_limit(session, changes["default_time_limit"])
    for field, value in changes.items():
        setattr(category, field, value)
    await repository.save(session, category)
    summary = f"修改服务类别「{category.name_zh}」({code})：{', '.join(sorted(changes))}"
    await _record(session, principal, "order_category.update", ("order_category", code), summary)
    return OrderCategoryRead.model_validate(category)


# ------------------------------------------------------------ time limits


async def list_time_limits(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> TimeLimitClassPage:
    rows = await repository.time_limit_page(session, after=_after(cursor, str), limit=limit)
    items, next_cursor = _next(rows, limit, lambda r: r.code)
    return TimeLimitClassPage(
        items=[TimeLimitClassRead.model_validate(r) for r in items], next_cursor=next_cursor
    )


async def get_time_limit(session: AsyncSession, code: str) -> TimeLimitClassRead:
    found = await repository.get_time_limit(session, code)
    if found is None:
        raise TimeLimitNotFound()
    return TimeLimitClassRead.model_validate(found)


async def create_time_limit(
    session: AsyncSession, principal: Principal, data: TimeLimitClassCreate
) -> TimeLimitClassRead:
    _require_global(principal)
    if await repository.get_time_limit(session, data.code) is not None:
        raise TimeLimitCodeTaken()
    row = await repository.save(
        session,
        TimeLimitClass(**data.model_dump(mode="json")),
        unique="pk_time_limit_class",
        error=TimeLimitCodeTaken(),
    )
    summary = f"新增办理时限「{row.name_zh}」({row.code})"
    await _record(
        session, principal, "time_limit_class.create", ("time_limit_class", row.code), summary
    )
    return TimeLimitClassRead.model_validate(row)


async def update_time_limit(
    session: AsyncSession, principal: Principal, code: str, data: TimeLimitClassUpdate
) -> TimeLimitClassRead:
    """Deadlines are stored on each order at triage (分拣): a change applies to orders
    triaged afterwards, never to orders already in work."""
    _require_global(principal)
    row = await repository.get_time_limit(session, code, for_update=True)
    if row is None:
        raise TimeLimitNotFound()
    changes = _changes(row, data)
    if "response_hours" in changes and float(row.response_hours) == changes["response_hours"]:
        del changes["response_hours"]  # Numeric vs float: not a change
    if not changes:
        return TimeLimitClassRead.model_validate(row)
    for field, value in changes.items():
        setattr(row, field, value)
    await repository.save(session, row)
    summary = f"修改办理时限「{row.name_zh}」({code})：{', '.join(sorted(changes))}"
    await _record(
        session, principal, "time_limit_class.update", ("time_limit_class", code), summary
    )
    return TimeLimitClassRead.model_validate(row)


# ---------------------------------------------------------------- calendar


async def load_calendar(session: AsyncSession, first: date, last: date) -> WorkingCalendar:
    """The working-day calendar with the overrides of every year ``first`` … ``last`` touch
    (a year with any override counts as known, so all of its overrides are loaded)."""
    rows = await repository.overrides_between(
        session, date(first.year, 1, 1), date(last.year, 12, 31)
    )
    return WorkingCalendar({row.day: row.is_workday for row in rows})


async def get_calendar_year(session: AsyncSession, year: int) -> CalendarYear:
    rows = await repository.overrides_between(session, date(year, 1, 1), date(year, 12, 31))
    return CalendarYear(
        year=year,
        library_covers=WorkingCalendar().is_exact(date(year, 1, 1)),
        items=[CalendarOverrideRead.model_validate(r) for r in rows],
    )


async def put_override(
    session: AsyncSession, principal: Principal, day: date, data: CalendarOverrideIn
) -> tuple[CalendarOverrideRead, bool]:
    """Set the working status of ``day``; it wins over the calendar library."""
    _require_global(principal)
    row, created = await repository.put_override(session, day, data.is_workday, data.note)
    kind = "工作日" if data.is_workday else "休息日"
    await _record(
        session,
        principal,
        "calendar_override.set",
        ("calendar_override", day.isoformat()),
        f"设置 {day.isoformat()} 为{kind}" + (f"（{data.note}）" if data.note else ""),
    )
    return CalendarOverrideRead.model_validate(row), created


async def delete_override(session: AsyncSession, principal: Principal, day: date) -> None:
    _require_global(principal)
    if await repository.delete_override(session, day) is None:
        raise OverrideNotFound()
    summary = f"删除 {day.isoformat()} 的工作日设置"
    await _record(
        session,
        principal,
        "calendar_override.delete",
        ("calendar_override", day.isoformat()),
        summary,
    )


async def working_days(session: AsyncSession, first: date, last: date) -> WorkingDays:
    if last < first:
        raise InvalidDateRange("结束日期早于开始日期", "`to` is before `from`")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidDateRange(
            f"日期范围最长 {MAX_RANGE_DAYS} 天", f"The range spans at most {MAX_RANGE_DAYS} days"
        )
    calendar = await load_calendar(session, first, last)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    inexact = sorted({d.year for d in days if not calendar.is_exact(d)})
    workdays = [d for d in days if calendar.is_workday(d)]
    return WorkingDays.model_validate(
        {
            "from": first,
            "to": last,
            "working_days": len(workdays),
            "workdays": workdays,
            "is_exact": not inexact,
            "inexact_years": inexact,
        }
    )


# ------------------------------------------------------------ departments


def _department_read(department: Department, member_count: int) -> DepartmentRead:
    return DepartmentRead(
        id=department.id,
        town_id=department.town_id,
        code=department.code,
        name=department.name,
        member_count=member_count,
        created_at=department.created_at,
        updated_at=department.updated_at,
    )


def _department_readers(principal: Principal) -> tuple[Scope, ...]:
    return (principal.scope(ORDERS_READ), principal.scope(ORDERS_CONFIG))


async def _department(
    session: AsyncSession, scopes: tuple[Scope, ...], department_id: int, *, lock: bool = False
) -> tuple[Department, int]:
    found = await repository.get_department(session, department_id, scopes, for_update=lock)
    if found is None:
        raise DepartmentNotFound()
    return found


async def create_department(
    session: AsyncSession, principal: Principal, data: DepartmentCreate
) -> DepartmentRead:
    town = await repository.get_unit(session, data.town_id, principal.scope(ORDERS_CONFIG))
    if town is None:
        raise TownNotFound()
    if town.level != "town":
        raise NotATown()
    if town.is_archived:
        raise UnitArchived()
    if await repository.department_code_taken(session, data.code):
        raise DepartmentCodeTaken()
    department = await repository.save(
        session,
        Department(town_id=town.id, code=data.code, name=data.name),
        unique="uq_department_code",
        error=DepartmentCodeTaken(),
    )
    summary = f"新增职能部门「{department.name}」({department.code})"
    target = ("department", department.id)
    await _record(session, principal, "department.create", target, summary, _TownPlace(town.id))
    return _department_read(department, 0)


async def get_department(
    session: AsyncSession, principal: Principal, department_id: int
) -> DepartmentRead:
    return _department_read(
        *await _department(session, _department_readers(principal), department_id)
    )


async def list_departments(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None,
    town_id: int | None,
    q: str | None,
) -> DepartmentPage:
    rows = await repository.department_page(
        session,
        _department_readers(principal),
        after=_after(cursor, int),
        limit=limit,
        town_id=town_id,
        q=q,
    )
    items, next_cursor = _next(rows, limit, lambda r: r[0].id)
    return DepartmentPage(items=[_department_read(*r) for r in items], next_cursor=next_cursor)


async def update_department(
    session: AsyncSession, principal: Principal, department_id: int, data: DepartmentUpdate
) -> DepartmentRead:
    scopes = (principal.scope(ORDERS_CONFIG),)
    department, members = await _department(session, scopes, department_id, lock=True)
    changes = _changes(department, data)
    if not changes:
        return _department_read(department, members)
    if "code" in changes and await repository.department_code_taken(
        session, changes["code"], except_id=department.id
    ):
        raise DepartmentCodeTaken()
    for field, value in changes.items():
        setattr(department, field, value)
    await repository.save(
        session, department, unique="uq_department_code", error=DepartmentCodeTaken()
    )
    summary = f"修改职能部门「{department.name}」({department.code})：{', '.join(sorted(changes))}"
    target = ("department", department.id)
    place = _TownPlace(department.town_id)
    await _record(session, principal, "department.update", target, summary, place)
    return _department_read(department, members)


async def add_department_member(
    session: AsyncSession, principal: Principal, department_id: int, user_id: int
) -> DepartmentMemberRead:
    """The account must be active and hold a grant inside the caller's ``orders.config``
    scope (typically ``department_staff`` at the town)."""
    scope = principal.scope(ORDERS_CONFIG)
    department, _ = await _department(session, (scope,), department_id)
    account = await repository.user_reached(session, user_id, scope)
    if account is None:
        raise DepartmentUserNotFound()
    if not await repository.add_department_member(session, department.id, account.id):
        raise AlreadyDepartmentMember()
    summary = f"将用户 {account.username} 加入职能部门「{department.name}」"
    target = ("department", department.id)
    place = _TownPlace(department.town_id)
    await _record(session, principal, "department.member_add", target, summary, place)
    return DepartmentMemberRead(
        user_id=account.id,
        username=account.username,
        display_name=account.display_name,
        is_active=account.is_active,
    )


async def remove_department_member(
    session: AsyncSession, principal: Principal, department_id: int, user_id: int
) -> None:
    department, _ = await _department(session, (principal.scope(ORDERS_CONFIG),), department_id)
    if not await repository.remove_department_member(session, department.id, user_id):
        raise DepartmentMemberNotFound()
    summary = f"将用户 #{user_id} 移出职能部门「{department.name}」"
    target = ("department", department.id)
    place = _TownPlace(department.town_id)
    await _record(session, principal, "department.member_remove", target, summary, place)


async def list_department_members(
    session: AsyncSession,
    principal: Principal,
    department_id: int,
    *,
    limit: int,
    cursor: str | None,
) -> DepartmentMemberPage:
    department, _ = await _department(session, _department_readers(principal), department_id)
    rows = await repository.department_member_page(
        session, department.id, after=_after(cursor, int), limit=limit
    )
    items, next_cursor = _next(list(rows), limit, lambda r: r.user_id)
    return DepartmentMemberPage(
        items=[DepartmentMemberRead.model_validate(r) for r in items], next_cursor=next_cursor
    )


# ---------------------------------------------------------- volunteer teams


def _team_read(team: VolunteerTeam, member_count: int) -> VolunteerTeamRead:
    columns = {f: getattr(team, f) for f in VolunteerTeamRead.model_fields if f != "member_count"}
    return VolunteerTeamRead(**columns, member_count=member_count)


def _team_readers(principal: Principal) -> tuple[Scope, ...]:
    return (principal.scope(ORDERS_READ), principal.scope(ORDERS_CONFIG))


async def _team(
    session: AsyncSession, scopes: tuple[Scope, ...], team_id: int, *, lock: bool = False
) -> tuple[VolunteerTeam, int]:
    found = await repository.get_team(session, team_id, scopes, for_update=lock)
    if found is None:
        raise TeamNotFound()
    return found


async def create_team(
    session: AsyncSession, principal: Principal, data: VolunteerTeamCreate
) -> VolunteerTeamRead:
    unit = await repository.get_unit(session, data.org_unit_id, principal.scope(ORDERS_CONFIG))
    if unit is None:
        raise TeamUnitNotFound()
    if unit.is_archived:
        raise UnitArchived()
    if await repository.team_name_taken(session, unit.id, data.name):
        raise TeamNameTaken()
    ancestors = {column: getattr(unit, column) for column in ANCESTOR_COLUMNS}
    team = await repository.save(
        session,
        VolunteerTeam(org_unit_id=unit.id, name=data.name, **ancestors),
    )
    summary = f"在「{unit.name}」新建志愿服务队「{team.name}」"
    await _record(
        session, principal, "volunteer_team.create", ("volunteer_team", team.id), summary, team
    )
    return _team_read(team, 0)


async def get_team(session: AsyncSession, principal: Principal, team_id: int) -> VolunteerTeamRead:
    return _team_read(*await _team(session, _team_readers(principal), team_id))


async def list_teams(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None,
    org_unit_id: int | None,
    q: str | None,
) -> VolunteerTeamPage:
    rows = await repository.team_page(
        session,
        _team_readers(principal),
        after=_after(cursor, int),
        limit=limit,
        org_unit_id=org_unit_id,
        q=q,
    )
    items, next_cursor = _next(rows, limit, lambda r: r[0].id)
    return VolunteerTeamPage(items=[_team_read(*r) for r in items], next_cursor=next_cursor)


async def update_team(
    session: AsyncSession, principal: Principal, team_id: int, data: VolunteerTeamUpdate
) -> VolunteerTeamRead:
    team, members = await _team(session, (principal.scope(ORDERS_CONFIG),), team_id, lock=True)
    changes = _changes(team, data)
    if not changes:
        return _team_read(team, members)
    if await repository.team_name_taken(
        session, team.org_unit_id, changes["name"], except_id=team.id
    ):
        raise TeamNameTaken()
    old_name, team.name = team.name, changes["name"]
    await repository.save(session, team)
    summary = f"志愿服务队「{old_name}」更名为「{team.name}」"
    await _record(
        session, principal, "volunteer_team.update", ("volunteer_team", team.id), summary, team
    )
    return _team_read(team, members)


async def add_team_member(
    session: AsyncSession, principal: Principal, team_id: int, person_id: int
) -> TeamMemberRead:
    """The person must be a live party member (党员) the caller sees: where they live
    (``people.read``) or by their branch (``members.read``), so 在职党员 registered
    in the community (双报到) can join its teams too."""
    team, _ = await _team(session, (principal.scope(ORDERS_CONFIG),), team_id)
    found = await repository.visible_person(
        session, person_id, principal.scope(PEOPLE_READ), principal.scope(MEMBERS_READ)
    )
    if found is None:
        raise TeamPersonNotFound()
    person, branch_id = found
    if branch_id is None:
        raise NotAPartyMember()
    if not await repository.add_team_member(session, team.id, person.id):
        raise AlreadyTeamMember()
    summary = f"党员「{person.name}」加入志愿服务队「{team.name}」"
    target = ("volunteer_team", team.id)
    await _record(session, principal, "volunteer_team.member_add", target, summary, team)
    return TeamMemberRead(person_id=person.id, name=person.name, branch_id=branch_id)


async def remove_team_member(
    session: AsyncSession, principal: Principal, team_id: int, person_id: int
) -> None:
    team, _ = await _team(session, (principal.scope(ORDERS_CONFIG),), team_id)
    if not await repository.remove_team_member(session, team.id, person_id):
        raise TeamMemberNotFound()
    summary = f"人员 #{person_id} 退出志愿服务队「{team.name}」"
    target = ("volunteer_team", team.id)
    await _record(session, principal, "volunteer_team.member_remove", target, summary, team)


async def list_team_members(
    session: AsyncSession, principal: Principal, team_id: int, *, limit: int, cursor: str | None
) -> TeamMemberPage:
    team, _ = await _team(session, _team_readers(principal), team_id)
    rows = await repository.team_member_page(
        session, team.id, after=_after(cursor, int), limit=limit
    )
    items, next_cursor = _next(list(rows), limit, lambda r: r.person_id)
    return TeamMemberPage(
        items=[TeamMemberRead.model_validate(r) for r in items], next_cursor=next_cursor
    )
