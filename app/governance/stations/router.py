"""``/stations`` (红旗驿站 / 党群服务站 / 党员工作室) with their rota and honour roll, and the
duty steps ``/duty-shifts/{id}/…`` and ``/duty-assignments/{id}/…``."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import CurrentPrincipal
from app.db.session import DbSession
from app.governance import checkin
from app.governance.common_router import (
    LIVE_CODE,
    READ,
    UPDATE,
    WRITE,
    CanManage,
    CanManageOrTakePart,
    CanRead,
    CanTakePart,
    Cursor,
    Limit,
)
from app.governance.schemas import CheckinCodeRead, CheckinScan
from app.governance.stations import rota, service
from app.governance.stations.schemas import (
    AssignIn,
    AssignmentPage,
    AssignmentRead,
    AssignmentStatus,
    HonourCreate,
    HonourPage,
    HonourRead,
    HonourWithdraw,
    RotaCreate,
    RotaCreated,
    ShiftPage,
    StationCreate,
    StationKind,
    StationPage,
    StationRead,
    StationUpdate,
    SwapIn,
)
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, IfMatchRequired, set_etag, set_location, tagged
from app.kit.pagination import DEFAULT_LIMIT
from app.kit.types import BoolParam, Date, IdParam

router = APIRouter(tags=["stations"], route_class=IdempotentRoute)


@router.post(
    "/stations",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses={**WRITE, 201: {"headers": ETAG_HEADER}},
    summary="Set up a station · 设立驿站",
)
async def create_station(
    body: StationCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> StationRead:
    """At a node the caller manages; its 站长 and deputies are then appointed as offices
    (``POST /offices`` with ``station_id``)."""
    result = await service.create_station(session, principal, body)
    set_location(request, response, "get_station", station_id=result.id)
    return tagged(response, result)


@router.get("/stations", dependencies=[CanRead], responses=READ, summary="List stations · 驿站")
async def list_stations(
    principal: CurrentPrincipal,
    session: DbSession,
    org_unit_id: Annotated[
        IdParam | None, Query(description="Only stations in this subtree")
    ] = None,
    kind: StationKind | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> StationPage:
    return await service.list_stations(
        session, principal, org_unit_id=org_unit_id, kind=kind, limit=limit, cursor=cursor
    )


@router.get(
    "/stations/{station_id}",
    dependencies=[CanRead],
    responses={**READ, 200: {"headers": ETAG_HEADER}},
    summary="Read a station · 驿站详情",
)
async def get_station(
    station_id: IdParam, response: Response, principal: CurrentPrincipal, session: DbSession
) -> StationRead:
    """With its functions, opening hours and current 站长 / 副站长."""
    station = await service.get_station(session, principal, station_id)
    set_etag(response, station.version)
    return station


@router.patch(
    "/stations/{station_id}",
    dependencies=[CanManage],
    responses={**UPDATE, 200: {"headers": ETAG_HEADER}},
    summary="Change a station · 修改驿站",
)
async def update_station(
    station_id: IdParam,
    body: StationUpdate,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> StationRead:
    station = await service.update_station(session, principal, station_id, body, if_match)
    set_etag(response, station.version)
    return station


# ---------------------------------------------------------------- rota


@router.post(
    "/stations/{station_id}/shifts",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses=WRITE,
    summary="Lay out a duty rota · 排班",
)
async def create_duty_rota(
    station_id: IdParam,
    body: RotaCreate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> RotaCreated:
    """One shift per chosen weekday of the period (党员周末轮班)."""
    return await rota.create_rota(session, principal, station_id, body)


@router.get(
    "/stations/{station_id}/shifts",
    dependencies=[CanRead],
    responses=READ,
    summary="A station's rota · 值班表",
)
async def list_duty_shifts(
    station_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    from_date: Annotated[Date, Query(alias="from", description="First business day")],
    to_date: Annotated[Date, Query(alias="to", description="Last business day, inclusive")],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> ShiftPage:
    return await rota.list_shifts(
        session,
        principal,
        station_id,
        from_date=from_date,
        to_date=to_date,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/stations/{station_id}/duty-assignments",
    dependencies=[CanRead],
    responses=READ,
    summary="Duties at a station · 值班记录",
)
async def list_duty_assignments(
    station_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    status: Annotated[
        AssignmentStatus | None, Query(description="`missed`: shifts ended without check-in")
    ] = None,
    person_id: IdParam | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> AssignmentPage:
    return await rota.list_assignments(
        session,
        principal,
        station_id,
        status=status,
        person_id=person_id,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/duty-shifts/{shift_id}/assignments",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses=WRITE,
    summary="Put a member on a shift · 排班到人",
)
async def assign_duty(
    shift_id: IdParam,
    body: AssignIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> AssignmentRead:
    """A party member of the station's community; 409 ``duty_shift.full`` when no place
    is left, ``duty_shift.already_on`` when they are on it."""
    return await rota.assign(session, principal, shift_id, body)


@router.post(
    "/duty-shifts/{shift_id}/volunteer",
    status_code=201,
    dependencies=[CanTakePart, Idempotent],
    responses=WRITE,
    summary="Volunteer for a shift · 认领值班",
)
async def volunteer_for_duty(
    shift_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
) -> AssignmentRead:
    """The caller (a party member of the station's community) takes a free place."""
    return await rota.volunteer(session, principal, shift_id)


@router.post(
    "/duty-assignments/{assignment_id}/swap",
    status_code=201,
    dependencies=[CanManageOrTakePart, Idempotent],
    responses=WRITE,
    summary="Hand a duty over · 换班",
)
async def swap_duty(
    assignment_id: IdParam,
    body: SwapIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> AssignmentRead:
    """By the member on duty or staff: the other member takes the place; the handed-over
    duty stays in the history as ``swapped_out``."""
    return await rota.swap(session, principal, assignment_id, body)


@router.post(
    "/duty-assignments/{assignment_id}/check-in",
    dependencies=[CanManageOrTakePart, Idempotent],
    responses=WRITE,
    summary="Check in at the station · 值班签到",
)
async def check_in_duty(
    assignment_id: IdParam,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    body: CheckinScan | None = None,
) -> AssignmentRead:
    """The member within the shift's window (30 minutes before it until its end), or
    staff at any time from then on. The member may send the station's live code
    (``{"token": …}``, from `GET /duty-shifts/{id}/checkin-code`): the check-in is then
    ``qr``, proof of being there; a stale code 422 `checkin.stale_code`, a code someone
    already used 422 `checkin.used_code`. Awards the ``duty_shift`` points rule once per
    shift and member."""
    codes = checkin.codes(request.app.state.settings.secret_key)
    return await rota.check_in(session, principal, assignment_id, body, codes)


@router.get(
    "/duty-shifts/{shift_id}/checkin-code",
    dependencies=[CanManage],
    responses=LIVE_CODE,
    summary="The live check-in code · 值班签到二维码",
)
async def get_duty_checkin_code(
    shift_id: IdParam, request: Request, principal: CurrentPrincipal, session: DbSession
) -> CheckinCodeRead:
    """For the station's phone, from 30 minutes before the shift until its end: a
    rotating code (30-second steps) that checks in one member; poll again after
    ``refresh_after_seconds`` — a scanned code is replaced at once."""
    codes = checkin.codes(request.app.state.settings.secret_key)
    return await rota.checkin_code(session, principal, shift_id, codes)


@router.post(
    "/duty-assignments/{assignment_id}/withdraw",
    dependencies=[CanManageOrTakePart, Idempotent],
    responses=WRITE,
    summary="Come off a shift · 取消值班",
)
async def withdraw_duty(
    assignment_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
) -> AssignmentRead:
    """Before the shift begins; the place is free again."""
    return await rota.withdraw(session, principal, assignment_id)


# ---------------------------------------------------------------- honour roll


@router.post(
    "/stations/{station_id}/honours",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses=WRITE,
    summary="Add to the honour roll · 红旗好人上榜",
)
async def add_station_honour(
    station_id: IdParam,
    body: HonourCreate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> HonourRead:
    return await service.add_honour(session, principal, station_id, body)


@router.get(
    "/stations/{station_id}/honours",
    dependencies=[CanRead],
    responses=READ,
    summary="A station's honour roll · 红旗好人光荣榜",
)
async def list_station_honours(
    station_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    include_withdrawn: BoolParam = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> HonourPage:
    return await service.list_honours(
        session,
        principal,
        station_id,
        include_withdrawn=include_withdrawn,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/honours/{honour_id}/withdraw",
    dependencies=[CanManage, Idempotent],
    responses=WRITE,
    summary="Take off the honour roll · 撤下光荣榜",
)
async def withdraw_station_honour(
    honour_id: IdParam, body: HonourWithdraw, principal: CurrentPrincipal, session: DbSession
) -> HonourRead:
    return await service.withdraw_honour(session, principal, honour_id, body)
