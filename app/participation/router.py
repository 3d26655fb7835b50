"""``/activities`` (志愿服务活动): publish, sign up with a waiting list, QR check-in and
check-out, close with points, and corrections.

Creating POSTs and the close take an ``Idempotency-Key``; a change needs ``If-Match``.
Participants (``participation.join``) see their community's and town's activities;
staff their subtree.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.authz.deps import CurrentPrincipal, require_any
from app.authz.permissions import ACTIVITIES_MANAGE, PARTICIPATION_JOIN, PARTICIPATION_READ
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.checkin import CheckinCodes
from app.kit.http import ETAG_HEADER, IfMatch, IfMatchRequired, set_etag, set_location
from app.kit.schemas import problem_responses
from app.kit.types import IdParam
from app.participation import attendance, service, signups
from app.participation.schemas import (
    ActivityClosed,
    ActivityCreate,
    ActivityPage,
    ActivityQuery,
    ActivityRead,
    ActivityUpdate,
    AttendanceIn,
    CancelIn,
    CheckinCode,
    CodeAction,
    ScanIn,
    SignupPage,
    SignupQuery,
    SignupRead,
    VoidIn,
)

router = APIRouter(
    prefix="/activities",
    tags=["activities"],
    responses=problem_responses(401, 403),
    route_class=IdempotentRoute,
)

CanRead = require_any(PARTICIPATION_JOIN, PARTICIPATION_READ, ACTIVITIES_MANAGE)
CanJoin = require_any(PARTICIPATION_JOIN)
CanManage = require_any(ACTIVITIES_MANAGE)
CanSeeSignups = require_any(PARTICIPATION_READ, ACTIVITIES_MANAGE)
_STEP = problem_responses(404, 409, 422)


def get_codes(request: Request) -> CheckinCodes:
    """The check-in codes signed with this deployment's secret."""
    return attendance.checkin_codes(request.app.state.settings.secret_key)


Codes = Annotated[CheckinCodes, Depends(get_codes)]


@router.post(
    "",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    response_model=ActivityRead,
    responses={**problem_responses(400, 404, 409, 422), 201: {"headers": ETAG_HEADER}},
    summary="Publish an activity · 发布活动",
)
async def create_activity(
    body: ActivityCreate,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> ActivityRead:
    """At a node in the caller's ``activities.manage`` subtree; the kind must have an
    ``activity_type`` points rule; the organiser is the node itself, a team or unit the
    caller's community or town sees, or a department of the town."""
    result = await service.create_activity(session, principal, body)
    set_location(request, response, "get_activity", activity_id=result.id)
    set_etag(response, result.version)
    return result


@router.get(
    "",
    dependencies=[CanRead],
    responses=problem_responses(400),
    summary="List activities · 活动列表",
)
async def list_activities(
    query: Annotated[ActivityQuery, Query()], principal: CurrentPrincipal, session: DbSession
) -> ActivityPage:
    """Newest start first; each with the caller's own sign-up status."""
    return await service.list_activities(session, principal, query)


@router.get(
    "/{activity_id}",
    dependencies=[CanRead],
    responses={**problem_responses(404), 200: {"headers": ETAG_HEADER}},
    summary="Read an activity · 查看活动",
)
async def get_activity(
    activity_id: IdParam, principal: CurrentPrincipal, session: DbSession, response: Response
) -> ActivityRead:
    activity = await service.get_activity(session, principal, activity_id)
    set_etag(response, activity.version)
    return activity


@router.patch(
    "/{activity_id}",
    dependencies=[CanManage],
    responses={**problem_responses(404, 409, 412, 422, 428), 200: {"headers": ETAG_HEADER}},
    summary="Change an activity · 修改活动",
)
async def update_activity(
    activity_id: IdParam,
    body: ActivityUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
    if_match: IfMatchRequired = None,
) -> ActivityRead:
    """While open; ``If-Match`` required. More places promote the waiting list."""
    activity = await service.update_activity(session, principal, activity_id, body, if_match)
    set_etag(response, activity.version)
    return activity


@router.post(
    "/{activity_id}/cancel",
    dependencies=[CanManage, Idempotent],
    responses=_STEP,
    summary="Cancel an activity · 取消活动",
)
async def cancel_activity(
    activity_id: IdParam, body: CancelIn, principal: CurrentPrincipal, session: DbSession
) -> ActivityRead:
    return await service.cancel_activity(session, principal, activity_id, body.reason)


@router.post(
    "/{activity_id}/sign-up",
    status_code=201,
    dependencies=[CanJoin, Idempotent],
    response_model=SignupRead,
    responses=problem_responses(400, 404, 409, 422),
    summary="Sign up · 报名",
)
async def sign_up_for_activity(
    activity_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> SignupRead:
    """The caller takes a place, or joins the waiting list when none is left (status
    ``waiting`` with its position); closes when the activity starts."""
    return await signups.sign_up(session, principal, activity_id)


@router.post(
    "/{activity_id}/cancel-sign-up",
    dependencies=[CanJoin, Idempotent],
    responses=_STEP,
    summary="Cancel one's sign-up · 取消报名",
)
async def cancel_activity_sign_up(
    activity_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> SignupRead:
    """Before checking in; the place goes to the first on the waiting list."""
    return await signups.cancel_sign_up(session, principal, activity_id)


@router.get(
    "/{activity_id}/signups",
    dependencies=[CanSeeSignups],
    responses=problem_responses(400, 404),
    summary="Sign-ups and attendance · 报名与签到名单",
)
async def list_activity_signups(
    activity_id: IdParam,
    query: Annotated[SignupQuery, Query()],
    principal: CurrentPrincipal,
    session: DbSession,
) -> SignupPage:
    return await signups.list_signups(session, principal, activity_id, query)


@router.get(
    "/{activity_id}/checkin-code",
    dependencies=[CanManage],
    responses=_STEP,
    summary="The live check-in code · 签到二维码",
)
async def get_activity_checkin_code(
    activity_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    codes: Codes,
    action: CodeAction = CodeAction.check_in,
) -> CheckinCode:
    """For the organiser's phone to show as a QR code; it changes every 30 seconds and
    is accepted one step more. Fetch the next after ``refresh_after_seconds``."""
    return await attendance.checkin_code(session, principal, activity_id, action, codes)


@router.post(
    "/{activity_id}/check-in",
    dependencies=[CanJoin, Idempotent],
    responses=_STEP,
    summary="Check in by scanning · 扫码签到",
)
async def check_in_to_activity(
    activity_id: IdParam,
    body: ScanIn,
    principal: CurrentPrincipal,
    session: DbSession,
    codes: Codes,
) -> SignupRead:
    """With the token of the live code: an old or another activity's code is 422; a
    second check-in 409. Takes a place if the caller held none and one is left."""
    return await attendance.scan(
        session, principal, activity_id, CodeAction.check_in, body.token, codes
    )


@router.post(
    "/{activity_id}/check-out",
    dependencies=[CanJoin, Idempotent],
    responses=_STEP,
    summary="Check out by scanning · 扫码签退",
)
async def check_out_of_activity(
    activity_id: IdParam,
    body: ScanIn,
    principal: CurrentPrincipal,
    session: DbSession,
    codes: Codes,
) -> SignupRead:
    """With the token of the live check-out code; records the service minutes."""
    return await attendance.scan(
        session, principal, activity_id, CodeAction.check_out, body.token, codes
    )


@router.post(
    "/{activity_id}/attendance",
    dependencies=[CanManage, Idempotent],
    responses=_STEP,
    summary="Check someone in or out · 代签到/代签退",
)
async def record_activity_attendance(
    activity_id: IdParam, body: AttendanceIn, principal: CurrentPrincipal, session: DbSession
) -> SignupRead:
    """The organiser records a person without a phone, now or at a past moment."""
    return await attendance.record_by_organiser(session, principal, activity_id, body)


@router.post(
    "/{activity_id}/attendance/{person_id}/void",
    dependencies=[CanManage, Idempotent],
    responses=_STEP,
    summary="Void an attendance · 作废签到",
)
async def void_activity_attendance(
    activity_id: IdParam,
    person_id: IdParam,
    body: VoidIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> SignupRead:
    """No hours; the points closing paid are reversed (冲正), 409 if already spent."""
    return await attendance.void_attendance(session, principal, activity_id, person_id, body.reason)


@router.post(
    "/{activity_id}/close",
    dependencies=[CanManage, Idempotent],
    response_model=ActivityClosed,
    responses=problem_responses(400, 404, 409, 412),
    summary="Close and award points · 结束活动并发放积分",
)
async def close_activity(
    activity_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
    if_match: IfMatch = None,
) -> ActivityClosed:
    """Once started. Every attendant (checked in, not voided) earns the kind's points
    once, under the daily and monthly caps, dated on the day served."""
    result = await attendance.close_activity(session, principal, activity_id, if_match)
    set_etag(response, result.activity.version)
    return result
