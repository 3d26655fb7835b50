"""The configuration orders depend on: categories (服务类别), time limits (办理时限), the
working-day calendar (调休), departments (职能部门) and volunteer teams (志愿服务队).

Categories, time-limit classes and the calendar are global: any caller holding an
``orders.*`` permission reads them; superusers and holders of ``orders.config`` at a
town change them. Departments and teams are read with ``orders.read`` or
``orders.config`` and changed with ``orders.config``, each within the caller's scope.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import Field

from app.authz import permissions as perms
from app.authz.deps import CurrentPrincipal, require, require_any
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, IfMatch, set_etag, set_location
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.kit.schemas import problem_responses
from app.kit.types import BoolParam, Date, DecimalDigits, IdParam, Line
from app.orders.config import calendar, categories, departments, teams, time_limits
from app.orders.config.schemas import (
    CalendarOverrideIn,
    CalendarOverrideRead,
    CalendarYear,
    DepartmentCreate,
    DepartmentMemberIn,
    DepartmentMemberPage,
    DepartmentMemberRead,
    DepartmentPage,
    DepartmentRead,
    DepartmentUpdate,
    OrderCategoryCreate,
    OrderCategoryPage,
    OrderCategoryRead,
    OrderCategoryUpdate,
    TeamMemberIn,
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

router = APIRouter(
    tags=["order-config"], responses=problem_responses(401, 403), route_class=IdempotentRoute
)

ORDER_PERMISSIONS = (
    perms.ORDERS_SUBMIT,
    perms.ORDERS_SUBMIT_FOR,
    perms.ORDERS_READ,
    perms.ORDERS_DISPATCH,
    perms.ORDERS_WORK,
    perms.ORDERS_DEPARTMENT,
    perms.ORDERS_STATS,
    perms.ORDERS_CONFIG,
)


InOrders = require_any(*ORDER_PERMISSIONS)
CanReadConfig = require_any(perms.ORDERS_READ, perms.ORDERS_CONFIG)
CanConfigure = require(perms.ORDERS_CONFIG)
Search = Annotated[
    Line | None, Query(min_length=1, max_length=100, description="Part of the name, any case")
]
Code = Annotated[Line, Path(max_length=32, description="The stable code, e.g. `repair`")]
Year = Annotated[int, Field(ge=2000, le=2100), DecimalDigits]
_404 = problem_responses(404)
_WRITE = problem_responses(404, 409)


# ---------------------------------------------------------------- categories


@router.get("/order-categories", dependencies=[InOrders], summary="List categories · 服务类别")
async def list_order_categories(
    session: DbSession,
    is_active: BoolParam | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> OrderCategoryPage:
    """All categories (or only active / inactive ones), by code."""
    return await categories.list_categories(
        session, limit=limit, cursor=cursor, is_active=is_active
    )


@router.post(
    "/order-categories",
    status_code=201,
    dependencies=[CanConfigure, Idempotent],
    responses=problem_responses(409),
    summary="Add a category · 新增服务类别",
)
async def create_order_category(
    body: OrderCategoryCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> OrderCategoryRead:
    """Global data: superusers and holders of ``orders.config`` at a town only."""
    created = await categories.create_category(session, principal, body)
    set_location(request, response, "get_order_category", code=created.code)
    return created


@router.get(
    "/order-categories/{code}",
    dependencies=[InOrders],
    responses=_404,
    summary="Read a category · 查看服务类别",
)
async def get_order_category(code: Code, session: DbSession) -> OrderCategoryRead:
    return await categories.get_category(session, code)


@router.patch(
    "/order-categories/{code}",
    dependencies=[CanConfigure],
    responses=_404,
    summary="Change a category · 修改服务类别",
)
async def update_order_category(
    code: Code, body: OrderCategoryUpdate, principal: CurrentPrincipal, session: DbSession
) -> OrderCategoryRead:
    """Names, default time-limit class, active flag. An inactive category takes no new
    orders; orders already filed keep it. Superusers and town-level ``orders.config``."""
    return await categories.update_category(session, principal, code, body)


# ------------------------------------------------------------ time limits


@router.get(
    "/time-limit-classes", dependencies=[InOrders], summary="List time-limit classes · 办理时限"
)
async def list_time_limit_classes(
    session: DbSession, limit: Limit = DEFAULT_LIMIT, cursor: Cursor | None = None
) -> TimeLimitClassPage:
    return await time_limits.list_time_limits(session, limit=limit, cursor=cursor)


@router.post(
    "/time-limit-classes",
    status_code=201,
    dependencies=[CanConfigure, Idempotent],
    responses=problem_responses(409),
    summary="Add a time-limit class · 新增办理时限",
)
async def create_time_limit_class(
    body: TimeLimitClassCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> TimeLimitClassRead:
    """Global data: superusers and holders of ``orders.config`` at a town only."""
    created = await time_limits.create_time_limit(session, principal, body)
    set_location(request, response, "get_time_limit_class", code=created.code)
    return created


@router.get(
    "/time-limit-classes/{code}",
    dependencies=[InOrders],
    responses=_404,
    summary="Read a time-limit class · 查看办理时限",
)
async def get_time_limit_class(code: Code, session: DbSession) -> TimeLimitClassRead:
    return await time_limits.get_time_limit(session, code)


@router.patch(
    "/time-limit-classes/{code}",
    dependencies=[CanConfigure],
    responses=_404,
    summary="Change a time-limit class · 修改办理时限",
)
async def update_time_limit_class(
    code: Code, body: TimeLimitClassUpdate, principal: CurrentPrincipal, session: DbSession
) -> TimeLimitClassRead:
    """Deadlines are computed and stored on each order at triage (分拣), so a change
    applies only to orders triaged afterwards; orders already in work keep theirs."""
    return await time_limits.update_time_limit(session, principal, code, body)


# ---------------------------------------------------------------- calendar


@router.get(
    "/calendar-overrides", dependencies=[InOrders], summary="Hand-set days of a year · 调休设置"
)
async def list_calendar_overrides(session: DbSession, year: Year) -> CalendarYear:
    """``library_covers`` says whether the ``chinesecalendar`` library already knows the
    year's holidays (国务院办公厅放假安排); when it does not, enter the year here."""
    return await calendar.get_calendar_year(session, year)


@router.put(
    "/calendar-overrides/{day}",
    dependencies=[CanConfigure],
    responses={201: {"model": CalendarOverrideRead, "description": "Created"}},
    summary="Set a day's working status · 设置工作日/休息日",
)
async def put_calendar_override(
    day: Date,
    body: CalendarOverrideIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> CalendarOverrideRead:
    """Enter the State Council's schedule for a year the calendar library does not know
    yet: holidays as days off, make-up workdays (调休上班) as working days. Overrides win
    over the library. 201 when the day had none, 200 when replaced. Global data:
    superusers and town-level ``orders.config``. Orders triaged afterwards use it."""
    override, created = await calendar.put_override(session, principal, day, body)
    response.status_code = 201 if created else 200
    return override


@router.delete(
    "/calendar-overrides/{day}",
    status_code=204,
    dependencies=[CanConfigure],
    responses=_404,
    summary="Remove a day's override · 删除工作日设置",
)
async def delete_calendar_override(
    day: Date, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await calendar.delete_override(session, principal, day)
    return Response(status_code=204)


@router.get(
    "/calendar/working-days",
    dependencies=[InOrders],
    summary="Working days in a date range · 工作日查询",
)
async def get_working_days(
    session: DbSession,
    first: Annotated[Date, Query(alias="from", description="First day, included")],
    last: Annotated[Date, Query(alias="to", description="Last day, included (≤ 366 days)")],
) -> WorkingDays:
    """Statutory holidays and make-up workdays (调休) from the calendar library and the
    overrides; ``is_exact`` is false when part of the range lies in a year neither
    covers (weekends are then the only days off)."""
    return await calendar.working_days(session, first, last)


# ------------------------------------------------------------ departments


@router.post(
    "/departments",
    status_code=201,
    dependencies=[CanConfigure, Idempotent],
    responses=_WRITE,
    summary="Add a department · 新增职能部门",
)
async def create_department(
    body: DepartmentCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> DepartmentRead:
    """A department of a town; needs ``orders.config`` over the town node."""
    created = await departments.create_department(session, principal, body)
    set_location(request, response, "get_department", department_id=created.id)
    return created


@router.get("/departments", dependencies=[CanReadConfig], summary="List departments · 职能部门")
async def list_departments(
    principal: CurrentPrincipal,
    session: DbSession,
    town_id: IdParam | None = None,
    q: Search = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> DepartmentPage:
    """Departments of the towns the caller's ``orders.read`` or ``orders.config`` reaches,
    by id; ``q`` matches name or code."""
    return await departments.list_departments(
        session, principal, limit=limit, cursor=cursor, town_id=town_id, q=q
    )


@router.get(
    "/departments/{department_id}",
    dependencies=[CanReadConfig],
    responses=_404,
    summary="Read a department · 查看职能部门",
)
async def get_department(
    department_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> DepartmentRead:
    return await departments.get_department(session, principal, department_id)


@router.patch(
    "/departments/{department_id}",
    dependencies=[CanConfigure],
    responses=_WRITE,
    summary="Change a department · 修改职能部门",
)
async def update_department(
    department_id: IdParam, body: DepartmentUpdate, principal: CurrentPrincipal, session: DbSession
) -> DepartmentRead:
    """Name and code (unique); the town never changes."""
    return await departments.update_department(session, principal, department_id, body)


@router.get(
    "/departments/{department_id}/members",
    dependencies=[CanReadConfig],
    responses=_404,
    summary="Accounts acting for a department · 部门成员",
)
async def list_department_members(
    department_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> DepartmentMemberPage:
    return await departments.list_department_members(
        session, principal, department_id, limit=limit, cursor=cursor
    )


@router.post(
    "/departments/{department_id}/members",
    status_code=201,
    dependencies=[CanConfigure, Idempotent],
    responses=_WRITE,
    summary="Add an account to a department · 添加部门成员",
)
async def add_department_member(
    department_id: IdParam,
    body: DepartmentMemberIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> DepartmentMemberRead:
    """The account must be active and hold a grant inside the caller's ``orders.config``
    scope; it needs ``department_staff`` (``orders.department``) to act on orders."""
    return await departments.add_department_member(session, principal, department_id, body.user_id)


@router.delete(
    "/departments/{department_id}/members/{user_id}",
    status_code=204,
    dependencies=[CanConfigure],
    responses=_404,
    summary="Remove an account from a department · 移除部门成员",
)
async def remove_department_member(
    department_id: IdParam, user_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await departments.remove_department_member(session, principal, department_id, user_id)
    return Response(status_code=204)


# ---------------------------------------------------------- volunteer teams

CanReadTeams = require_any(perms.ORDERS_READ, perms.ORDERS_CONFIG, perms.PARTICIPATION_JOIN)
CanJoinTeams = require(perms.PARTICIPATION_JOIN)
_TEAM = {**_404, 200: {"headers": ETAG_HEADER}}


@router.post(
    "/volunteer-teams",
    status_code=201,
    dependencies=[CanConfigure, Idempotent],
    responses={**_WRITE, 201: {"headers": ETAG_HEADER}},
    summary="Add a volunteer team · 新建志愿服务队",
)
async def create_volunteer_team(
    body: VolunteerTeamCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> VolunteerTeamRead:
    """A team at a node the caller's ``orders.config`` reaches; names are unique per node.
    ``members_only`` false makes a residents' team (邻里志愿服务队, 家庭事务调解队)."""
    created = await teams.create_team(session, principal, body)
    set_location(request, response, "get_volunteer_team", team_id=created.id)
    set_etag(response, created.version)
    return created


@router.get(
    "/volunteer-teams", dependencies=[CanReadTeams], summary="List volunteer teams · 志愿服务队"
)
async def list_volunteer_teams(
    principal: CurrentPrincipal,
    session: DbSession,
    org_unit_id: IdParam | None = None,
    q: Search = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> VolunteerTeamPage:
    """Teams inside the caller's ``orders.read`` or ``orders.config`` scope, and for
    participants (``participation.join``) the teams of their community and town, by id."""
    return await teams.list_teams(
        session, principal, limit=limit, cursor=cursor, org_unit_id=org_unit_id, q=q
    )


@router.get(
    "/volunteer-teams/{team_id}",
    dependencies=[CanReadTeams],
    responses=_TEAM,
    summary="Read a volunteer team · 查看志愿服务队",
)
async def get_volunteer_team(
    team_id: IdParam, principal: CurrentPrincipal, session: DbSession, response: Response
) -> VolunteerTeamRead:
    team = await teams.get_team(session, principal, team_id)
    set_etag(response, team.version)
    return team


@router.patch(
    "/volunteer-teams/{team_id}",
    dependencies=[CanConfigure],
    responses={**_WRITE, **problem_responses(412), 200: {"headers": ETAG_HEADER}},
    summary="Change a volunteer team · 修改志愿服务队",
)
async def update_volunteer_team(
    team_id: IdParam,
    body: VolunteerTeamUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
    if_match: IfMatch = None,
) -> VolunteerTeamRead:
    """Name, kind, who it admits, self-join, leader (who joins the team if not in it).
    ``If-Match`` is optional; a stale version is 412."""
    team = await teams.update_team(session, principal, team_id, body, if_match)
    set_etag(response, team.version)
    return team


@router.get(
    "/volunteer-teams/{team_id}/members",
    dependencies=[CanReadConfig],
    responses=_404,
    summary="Members of a volunteer team · 志愿服务队成员",
)
async def list_volunteer_team_members(
    team_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> TeamMemberPage:
    return await teams.list_team_members(session, principal, team_id, limit=limit, cursor=cursor)


@router.post(
    "/volunteer-teams/{team_id}/members",
    status_code=201,
    dependencies=[CanConfigure, Idempotent],
    responses=_WRITE,
    summary="Add a member to a team · 添加志愿服务队成员",
)
async def add_volunteer_team_member(
    team_id: IdParam, body: TeamMemberIn, principal: CurrentPrincipal, session: DbSession
) -> TeamMemberRead:
    """Anyone the caller sees (where they live or by their branch); party members only
    when the team is ``members_only``."""
    return await teams.add_team_member(session, principal, team_id, body.person_id)


@router.delete(
    "/volunteer-teams/{team_id}/members/{person_id}",
    status_code=204,
    dependencies=[CanConfigure],
    responses=_404,
    summary="Remove a member from a team · 移除志愿服务队成员",
)
async def remove_volunteer_team_member(
    team_id: IdParam, person_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await teams.remove_team_member(session, principal, team_id, person_id)
    return Response(status_code=204)


@router.post(
    "/volunteer-teams/{team_id}/join",
    status_code=201,
    dependencies=[CanJoinTeams, Idempotent],
    responses=_WRITE,
    summary="Join an open team · 自愿加入志愿服务队",
)
async def join_volunteer_team(
    team_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> TeamMemberRead:
    """The caller joins an open team (``is_open``) of their community; a party members'
    team admits party members only. 409 when closed or already a member."""
    return await teams.join_team(session, principal, team_id)


@router.post(
    "/volunteer-teams/{team_id}/leave",
    status_code=204,
    dependencies=[CanJoinTeams, Idempotent],
    responses=_404,
    summary="Leave a team · 退出志愿服务队",
)
async def leave_volunteer_team(
    team_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await teams.leave_team(session, principal, team_id)
    return Response(status_code=204)
