"""``/api/v1/orders``: 居民点单 · 社区派单 · 党员接单, each step ``POST /orders/{id}/<step>``.

Every POST takes an ``Idempotency-Key`` (``app.integrations.idempotency``: a replay
returns the first response with ``Idempotent-Replayed: true``); every step takes an
optional ``If-Match`` (412 when stale). An illegal step answers 409
``order.invalid_transition`` and changes nothing.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import CurrentPrincipal, require_any
from app.authz.permissions import (
    ORDERS_DEPARTMENT,
    ORDERS_DISPATCH,
    ORDERS_READ,
    ORDERS_SUBMIT,
    ORDERS_SUBMIT_FOR,
    ORDERS_WORK,
)
from app.config import Settings
from app.db.session import DbSession, ReadSession
from app.files.schemas import FileRead
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.etag import etag_for
from app.kit.http import IfMatch, set_location, tagged
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.kit.schemas import problem_responses
from app.kit.types import BoolParam, DateTime, IdParam, Line
from app.orders import service
from app.orders.schemas import (
    ArrivalRead,
    Channel,
    ContactIn,
    DispatchIn,
    FeedbackIn,
    MergeIn,
    NoteIn,
    OrderCreate,
    OrderEventPage,
    OrderFilters,
    OrderPage,
    OrderRead,
    OrderSort,
    ReasonIn,
    ResolveIn,
    SecondRead,
    StaffFeedbackIn,
    TriageIn,
)
from app.orders.steps import assignment, intake, submit, work
from app.orders.workflow import OrderStatus

router = APIRouter(
    prefix="/orders",
    tags=["orders"],
    responses=problem_responses(401, 403, 404),
    route_class=IdempotentRoute,
)

_ONE_STATUS = "|".join(s.value for s in OrderStatus)
_STATUS_SET = f"^({_ONE_STATUS})(,({_ONE_STATUS}))*$"
CanSubmit = require_any(ORDERS_SUBMIT, ORDERS_SUBMIT_FOR)
CanRead = require_any(ORDERS_READ, ORDERS_SUBMIT, ORDERS_WORK, ORDERS_DEPARTMENT)
CanDispatch = require_any(ORDERS_DISPATCH)
IsResident = require_any(ORDERS_SUBMIT)
CanClaim = require_any(ORDERS_WORK)
CanHandle = require_any(ORDERS_WORK, ORDERS_DEPARTMENT)
IsDepartment = require_any(ORDERS_DEPARTMENT)

_POST = problem_responses(400, 409)
_STEP = problem_responses(400, 409, 412)


@router.post(
    "",
    status_code=201,
    dependencies=[CanSubmit, Idempotent],
    responses=_POST,
    summary="File an order · 点单",
)
async def create_order(
    body: OrderCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> OrderRead:
    """A resident files for themselves (``orders.submit``); staff and grid workers for a
    resident in their scope, or for nobody with a location (``orders.submit_for``)."""
    order = await submit.submit_order(session, principal, body)
    set_location(request, response, "get_order", order_id=order.id)
    return tagged(response, order)


@router.get("", dependencies=[CanRead], summary="List orders · 工单列表")
async def list_orders(
    principal: CurrentPrincipal,
    session: ReadSession,
    status: Annotated[
        str | None,
        Query(
            max_length=120,
            pattern=_STATUS_SET,
            description="One status or several, comma-separated: `triaged,pooled`",
        ),
    ] = None,
    category: Annotated[Line | None, Query(max_length=32)] = None,
    unit_id: Annotated[
        IdParam | None, Query(description="Only orders located in this subtree")
    ] = None,
    assignee: Annotated[
        Line | None, Query(max_length=2, pattern="^me$", description="`me`: orders I hold")
    ] = None,
    pool: Annotated[BoolParam, Query(description="Only pooled orders (抢单池)")] = False,
    q: Annotated[
        Line | None, Query(min_length=1, max_length=100, description="Title or number")
    ] = None,
    overdue: Annotated[
        BoolParam | None, Query(description="Past the 办结时限 and still being worked on")
    ] = None,
    escalated: Annotated[
        BoolParam | None, Query(description="吹哨: escalated at least once")
    ] = None,
    assignee_person_id: Annotated[
        IdParam | None, Query(description="Held by this party member")
    ] = None,
    channel: Channel | None = None,
    received_from: Annotated[DateTime | None, Query(description="受理时间 ≥ this")] = None,
    received_before: Annotated[DateTime | None, Query(description="受理时间 < this")] = None,
    updated_since: Annotated[
        DateTime | None, Query(description="Changed at or after this (sync)")
    ] = None,
    updated_before: Annotated[DateTime | None, Query(description="Changed before this")] = None,
    sort: OrderSort = OrderSort.newest,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> OrderPage:
    """Orders the caller may see: residents their own, members what they hold and the
    pools in their scope, departments theirs, staff their scope. Filters combine (AND);
    every `sort` pages by keyset (pass `next_cursor` back with the same sort)."""
    filters = OrderFilters(
        status=tuple(OrderStatus(s) for s in status.split(",")) if status else (),
        category=category,
        unit_id=unit_id,
        assignee_me=assignee == "me",
        pool=pool,
        q=q,
        overdue=overdue,
        escalated=escalated,
        assignee_person_id=assignee_person_id,
        channel=channel,
        received_from=received_from,
        received_before=received_before,
        updated_since=updated_since,
        updated_before=updated_before,
    )
    return await service.list_orders(
        session, principal, filters, limit=limit, cursor=cursor, sort=sort
    )


@router.get(
    "/{order_id}/files/{file_id}",
    dependencies=[CanRead],
    response_model=FileRead,
    summary="A file of an order · 工单附件",
)
async def read_order_file(
    order_id: IdParam,
    file_id: IdParam,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
) -> FileRead:
    """A photo or voice note attached to the order (on submit, resolve or in a note),
    with short-lived signed links to its bytes: for whoever may read the order."""
    settings: Settings = request.app.state.settings
    return await service.read_order_file(session, settings, principal, order_id, file_id)


@router.get("/{order_id}", dependencies=[CanRead], summary="Read an order · 工单详情")
async def get_order(
    order_id: IdParam, response: Response, principal: CurrentPrincipal, session: DbSession
) -> OrderRead:
    """With ``ETag``; send it back as ``If-Match`` on a step to detect concurrent changes."""
    order = await service.get_order(session, principal, order_id)
    response.headers["ETag"] = etag_for(order.version)
    return order


@router.get(
    "/{order_id}/events", dependencies=[CanRead], summary="An order's history · 工单流转记录"
)
async def list_order_events(
    order_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> OrderEventPage:
    """Every step taken, oldest first (append-only)."""
    return await service.list_events(session, principal, order_id, limit=limit, cursor=cursor)


# ---------------------------------------------------------------- 分拣 (dispatchers)


@router.post(
    "/{order_id}/triage",
    dependencies=[CanDispatch, Idempotent],
    responses=_STEP,
    summary="Triage · 分拣受理",
)
async def triage_order(
    order_id: IdParam,
    body: TriageIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """Accept into work: priority, time-limit class (default: the category's) and the
    deadlines it sets (响应时限 in hours, 办结时限 in hours or Chinese working days)."""
    return tagged(
        response, await intake.triage(session, principal, order_id, body, if_match=if_match)
    )


@router.post(
    "/{order_id}/reject",
    dependencies=[CanDispatch, Idempotent],
    responses=_STEP,
    summary="Reject · 驳回",
)
async def reject_order(
    order_id: IdParam,
    body: ReasonIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    return tagged(
        response, await intake.reject(session, principal, order_id, body, if_match=if_match)
    )


@router.post(
    "/{order_id}/merge",
    dependencies=[CanDispatch, Idempotent],
    responses=_STEP,
    summary="Merge a duplicate · 合并重复工单",
)
async def merge_order(
    order_id: IdParam,
    body: MergeIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """Into another open order the caller may dispatch; this order's resident and
    seconds become that order's 附议."""
    return tagged(
        response, await intake.merge(session, principal, order_id, body, if_match=if_match)
    )


@router.post(
    "/{order_id}/dispatch",
    dependencies=[CanDispatch, Idempotent],
    responses=_STEP,
    summary="Dispatch · 派单",
)
async def dispatch_order(
    order_id: IdParam,
    body: DispatchIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """To a party member whose branch is in the caller's scope, a volunteer team in
    scope, or a department of the order's town (吹哨: the department must 报到)."""
    return tagged(
        response, await assignment.dispatch(session, principal, order_id, body, if_match=if_match)
    )


@router.post(
    "/{order_id}/pool",
    dependencies=[CanDispatch, Idempotent],
    responses=_STEP,
    summary="Offer to the claim pool · 放入抢单池",
)
async def pool_order(
    order_id: IdParam,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """Members with ``orders.work`` over the order's place may then claim it."""
    return tagged(response, await assignment.pool(session, principal, order_id, if_match=if_match))


# ---------------------------------------------------------------- residents


@router.post(
    "/{order_id}/cancel",
    dependencies=[IsResident, Idempotent],
    responses=_STEP,
    summary="Cancel my order · 撤销",
)
async def cancel_order(
    order_id: IdParam,
    body: ReasonIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """By the resident it is for, before anyone accepted it."""
    return tagged(
        response, await intake.cancel(session, principal, order_id, body, if_match=if_match)
    )


@router.post(
    "/{order_id}/second",
    dependencies=[IsResident, Idempotent],
    responses=_STEP,
    summary="Second an open order · 附议",
)
async def second_order(
    order_id: IdParam, principal: CurrentPrincipal, session: DbSession, if_match: IfMatch = None
) -> SecondRead:
    """A resident with the same problem backs an open order in their community instead
    of filing a duplicate; once per person (409 ``order.already_seconded``)."""
    return await intake.second(session, principal, order_id, if_match=if_match)


@router.post(
    "/{order_id}/feedback",
    dependencies=[IsResident, Idempotent],
    responses=_STEP,
    summary="Answer the follow-up · 回访评价",
)
async def give_order_feedback(
    order_id: IdParam,
    body: FeedbackIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """Resolved yes and satisfied or basically satisfied closes the order (confirm);
    any other answer reopens it to the same holder (reopen, 返工)."""
    return tagged(
        response, await work.feedback(session, principal, order_id, body, if_match=if_match)
    )


@router.post(
    "/{order_id}/staff-feedback",
    dependencies=[CanDispatch, Idempotent],
    responses=_STEP,
    summary="Record a follow-up call · 代录回访",
)
async def record_staff_feedback(
    order_id: IdParam,
    body: StaffFeedbackIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """Staff record the resident's 回访 answers taken by phone, visit or SMS (with who
    called): they close or reopen the order and count in the KPIs exactly as the
    resident's own answers do; the report splits them by channel."""
    return tagged(
        response,
        await work.staff_feedback(session, principal, order_id, body, if_match=if_match),
    )


# ---------------------------------------------------------------- members, teams, departments


@router.post(
    "/{order_id}/claim",
    dependencies=[CanClaim, Idempotent],
    responses=_STEP,
    summary="Claim from the pool · 抢单",
)
async def claim_order(
    order_id: IdParam,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """Exactly one of any number of concurrent claimants wins; the others get 409
    ``order.already_claimed``. The winner holds it, accepted."""
    return tagged(response, await assignment.claim(session, principal, order_id, if_match=if_match))


@router.post(
    "/{order_id}/accept",
    dependencies=[CanHandle, Idempotent],
    responses=_STEP,
    summary="Accept · 接单",
)
async def accept_order(
    order_id: IdParam,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """By the named member, any member of the team, or staff of the department."""
    return tagged(
        response, await assignment.accept(session, principal, order_id, if_match=if_match)
    )


@router.post(
    "/{order_id}/decline",
    dependencies=[CanHandle, Idempotent],
    responses=_STEP,
    summary="Decline · 退单",
)
async def decline_order(
    order_id: IdParam,
    body: ReasonIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """Back to the dispatcher, unassigned, with the reason in the history."""
    return tagged(
        response, await assignment.decline(session, principal, order_id, body, if_match=if_match)
    )


@router.post(
    "/{order_id}/contact",
    dependencies=[CanHandle, Idempotent],
    responses=_STEP,
    summary="Record contact with the resident · 联系居民",
)
async def contact_order_resident(
    order_id: IdParam,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    body: ContactIn | None = None,
    if_match: IfMatch = None,
) -> OrderRead:
    """The first one sets ``first_contact_at`` (响应率); later ones only add history."""
    data = body or ContactIn()
    return tagged(
        response, await work.contact(session, principal, order_id, data, if_match=if_match)
    )


@router.post(
    "/{order_id}/note",
    dependencies=[CanHandle, Idempotent],
    responses=_STEP,
    summary="Add a progress note · 进展",
)
async def add_order_note(
    order_id: IdParam,
    body: NoteIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    return tagged(response, await work.note(session, principal, order_id, body, if_match=if_match))


@router.post(
    "/{order_id}/resolve",
    dependencies=[CanHandle, Idempotent],
    responses=_STEP,
    summary="Report resolved · 办结",
)
async def resolve_order(
    order_id: IdParam,
    body: ResolveIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """With the result and photo URLs; the resident is then asked (回访)."""
    return tagged(
        response, await work.resolve(session, principal, order_id, body, if_match=if_match)
    )


@router.post(
    "/{order_id}/whistle",
    dependencies=[CanHandle, Idempotent],
    responses=_STEP,
    summary="Blow the whistle · 吹哨",
)
async def whistle_order(
    order_id: IdParam,
    body: ReasonIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> OrderRead:
    """The holder escalates the order one level up by hand (社区吹哨, then 街道吹哨),
    with a reason: the same `escalate` step the deadline job takes, marked `manual`."""
    return tagged(
        response, await work.whistle(session, principal, order_id, body, if_match=if_match)
    )


@router.get(
    "/{order_id}/arrivals",
    dependencies=[CanRead],
    response_model=list[ArrivalRead],
    responses=problem_responses(404),
    summary="Department arrivals · 部门报到情况",
)
async def list_order_arrivals(
    order_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> list[ArrivalRead]:
    """Every department whistled to the order (吹哨报到): when, by when it had to report,
    when it did; `is_late` when after the limit (or still missing past it)."""
    return await work.list_arrivals(session, principal, order_id)


@router.post(
    "/{order_id}/arrive",
    dependencies=[IsDepartment, Idempotent],
    responses=_POST,
    summary="Department reports in · 部门报到",
)
async def report_department_arrival(
    order_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> ArrivalRead:
    """By staff of a department the order was dispatched to (吹哨报到); ``is_late`` when
    after the limit (kpi_setting ``department_arrival_minutes``, 30 by default)."""
    return await assignment.arrive(session, principal, order_id)
