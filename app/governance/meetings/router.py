"""``/meetings``: joint meetings (红色物业联席会议), 三会一课 and 议事会 — the bodies meeting,
agenda, attendance, minutes and decisions; and the quarterly joint-meeting report."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from app.authz.deps import CurrentPrincipal
from app.db.session import DbSession
from app.governance import checkin
from app.governance.common_router import (
    LIVE_CODE,
    READ,
    UPDATE,
    WRITE,
    CanManage,
    CanRead,
    CanTakePart,
    Cursor,
    Limit,
)
from app.governance.meetings import service
from app.governance.meetings.schemas import (
    AttendanceIn,
    AttendancePage,
    AttendanceRead,
    CancelIn,
    DecisionIn,
    DecisionRead,
    JointMeetingReport,
    MeetingCreate,
    MeetingKind,
    MeetingPage,
    MeetingRead,
    MeetingStatus,
    MinutesIn,
)
from app.governance.schemas import CheckinCodeRead, CheckinScan
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, IfMatchRequired, set_etag, set_location, tagged
from app.kit.pagination import DEFAULT_LIMIT
from app.kit.types import DecimalDigits, IdParam

router = APIRouter(tags=["meetings"], route_class=IdempotentRoute)


@router.get(
    "/joint-meeting-report",
    dependencies=[CanRead],
    responses=READ,
    summary="Quarterly joint meetings held · 联席会议按季召开情况",
)
async def get_joint_meeting_report(
    principal: CurrentPrincipal,
    session: DbSession,
    unit_id: Annotated[IdParam, Query(description="A town or community (or one compound)")],
    year: Annotated[int, Field(ge=2000, le=2100), DecimalDigits],
    quarter: Annotated[int, Field(ge=1, le=4), DecimalDigits],
) -> JointMeetingReport:
    """Each residential compound under the unit: joint meetings held in the quarter and
    whether it held one (石龙: 每季度召开1次)."""
    return await service.joint_meeting_report(session, principal, unit_id, year, quarter)


@router.post(
    "/meetings",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses={**WRITE, 201: {"headers": ETAG_HEADER}},
    summary="Schedule a meeting · 安排会议",
)
async def schedule_meeting(
    body: MeetingCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> MeetingRead:
    result = await service.schedule(session, principal, body)
    set_location(request, response, "get_meeting", meeting_id=result.id)
    return tagged(response, result)


@router.get("/meetings", dependencies=[CanRead], responses=READ, summary="List meetings · 会议")
async def list_meetings(
    principal: CurrentPrincipal,
    session: DbSession,
    org_unit_id: Annotated[
        IdParam | None, Query(description="Only meetings in this subtree")
    ] = None,
    kind: MeetingKind | None = None,
    status: MeetingStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> MeetingPage:
    return await service.list_meetings(
        session,
        principal,
        org_unit_id=org_unit_id,
        kind=kind,
        status=status,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/meetings/{meeting_id}",
    dependencies=[CanRead],
    responses={**READ, 200: {"headers": ETAG_HEADER}},
    summary="Read a meeting · 会议详情",
)
async def get_meeting(
    meeting_id: IdParam, response: Response, principal: CurrentPrincipal, session: DbSession
) -> MeetingRead:
    meeting = await service.get_meeting(session, principal, meeting_id)
    set_etag(response, meeting.version)
    return meeting


@router.post(
    "/meetings/{meeting_id}/minutes",
    dependencies=[CanManage, Idempotent],
    responses={**UPDATE, 200: {"headers": ETAG_HEADER}},
    summary="Record the minutes · 会议纪要",
)
async def record_meeting_minutes(
    meeting_id: IdParam,
    body: MinutesIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> MeetingRead:
    """The meeting was held (with ``If-Match``); decisions may follow."""
    meeting = await service.record_minutes(session, principal, meeting_id, body, if_match)
    set_etag(response, meeting.version)
    return meeting


@router.post(
    "/meetings/{meeting_id}/cancel",
    dependencies=[CanManage, Idempotent],
    responses={**UPDATE, 200: {"headers": ETAG_HEADER}},
    summary="Cancel a meeting · 取消会议",
)
async def cancel_meeting(
    meeting_id: IdParam,
    body: CancelIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> MeetingRead:
    meeting = await service.cancel(session, principal, meeting_id, body, if_match)
    set_etag(response, meeting.version)
    return meeting


@router.post(
    "/meetings/{meeting_id}/attendance",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses=WRITE,
    summary="Record attendance · 代签到",
)
async def record_meeting_attendance(
    meeting_id: IdParam,
    body: AttendanceIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> AttendanceRead:
    return await service.record_attendance(session, principal, meeting_id, body)


@router.post(
    "/meetings/{meeting_id}/check-in",
    status_code=201,
    dependencies=[CanTakePart, Idempotent],
    responses=WRITE,
    summary="Check in · 会议签到",
)
async def check_in_meeting(
    meeting_id: IdParam,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    body: CheckinScan | None = None,
) -> AttendanceRead:
    """The caller, from an hour before the meeting until six hours after it starts. With
    the code shown at the meeting (``{"token": …}``, from `GET
    /meetings/{id}/checkin-code`) the check-in is ``qr``, proof of being there; a stale
    code 422 `checkin.stale_code`, a code someone already used 422 `checkin.used_code`."""
    codes = checkin.codes(request.app.state.settings.secret_key)
    return await service.check_in(session, principal, meeting_id, body, codes)


@router.get(
    "/meetings/{meeting_id}/checkin-code",
    dependencies=[CanManage],
    responses=LIVE_CODE,
    summary="The live check-in code · 会议签到二维码",
)
async def get_meeting_checkin_code(
    meeting_id: IdParam, request: Request, principal: CurrentPrincipal, session: DbSession
) -> CheckinCodeRead:
    """For the phone shown at the meeting, while check-in is open: a rotating code (30-second
    steps) that checks in one person; poll again after ``refresh_after_seconds``."""
    codes = checkin.codes(request.app.state.settings.secret_key)
    return await service.checkin_code(session, principal, meeting_id, codes)


@router.get(
    "/meetings/{meeting_id}/attendance",
    dependencies=[CanRead],
    responses=READ,
    summary="Who attended · 签到名单",
)
async def list_meeting_attendance(
    meeting_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> AttendancePage:
    return await service.list_attendance(session, principal, meeting_id, limit=limit, cursor=cursor)


@router.post(
    "/meetings/{meeting_id}/decisions",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses=WRITE,
    summary="Record a decision · 会议决定",
)
async def record_meeting_decision(
    meeting_id: IdParam,
    body: DecisionIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> DecisionRead:
    """Of a held meeting; ``opens: order`` files a service order at the meeting's node
    (``orders.submit_for`` needed), ``opens: matter`` a 五议 matter in its compound; the
    decision keeps the link."""
    return await service.decide(session, principal, meeting_id, body)
