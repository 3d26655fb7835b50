"""派单 to a member, team or department; the claim pool (抢单); 接单 / 退单; 部门报到."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import ORDERS_DISPATCH
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.integrations.events import publish
from app.kit.etag import check_version, parse_if_match
from app.orders import repository, visibility
from app.orders.errors import (
    AlreadyArrived,
    AlreadyClaimed,
    AssigneeNotFound,
    OrderNotFound,
    PersonRequired,
)
from app.orders.models import Department, ServiceOrder, VolunteerTeam
from app.orders.schemas import ArrivalRead, AssigneeKind, DispatchIn, OrderRead, ReasonIn
from app.orders.service import (
    Actor,
    advance,
    check_step,
    find,
    present,
    record,
    sources_of,
    utcnow,
)
from app.orders.workflow import OrderStatus, OrderStep, next_status
from app.people.models import PartyMember

_UNASSIGNED: dict[str, Any] = {
    "assignee_kind": None,
    "assignee_person_id": None,
    "assignee_team_id": None,
    "assignee_department_id": None,
}


async def dispatch(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: DispatchIn,
    *,
    if_match: str | None,
) -> OrderRead:
    """派单 (or re-dispatch); to a department it is a whistle (吹哨) awaiting 报到."""
    order, held = await find(
        session,
        order_id,
        visibility.dispatchable(principal),
        holder=visibility.held(principal),
        lock=True,
        if_match=if_match,
    )
    check_step(order, OrderStep.dispatch)
    if not await _ASSIGNEE_CHECKS[data.kind](session, principal, order, data.target_id):
        raise AssigneeNotFound()
    now = utcnow()
    await advance(
        session,
        Actor.of(principal),
        order,
        OrderStep.dispatch,
        now=now,
        data=data.model_dump(mode="json", exclude_none=True),
        dispatched_at=now,
        assignee_kind=data.kind.value,
        assignee_person_id=data.member_person_id,
        assignee_team_id=data.team_id,
        assignee_department_id=data.department_id,
    )
    if data.kind is AssigneeKind.department:
        minutes = await repository.setting(session, "department_arrival_minutes", 30)
        due = now + timedelta(minutes=float(minutes))
        await repository.add_arrival(session, order.id, data.target_id, now, due)
    return present(principal, order, held=held)


AssigneeCheck = Callable[[AsyncSession, Principal, ServiceOrder, int], Awaitable[bool]]


async def _member_ok(
    session: AsyncSession, principal: Principal, _: ServiceOrder, pid: int
) -> bool:
    """A party member whose branch lies in the dispatcher's scope."""
    scope = principal.scope(ORDERS_DISPATCH)
    return await repository.member_exists(session, pid, scope.clause(PartyMember))


async def _team_ok(session: AsyncSession, principal: Principal, _: ServiceOrder, tid: int) -> bool:
    scope = principal.scope(ORDERS_DISPATCH)
    return await repository.team_exists(session, tid, scope.clause(VolunteerTeam))


async def _department_ok(
    session: AsyncSession, _: Principal, order: ServiceOrder, did: int
) -> bool:
    """A functional department of the order's own town."""
    town = Scope.of([("town", order.town_id)])
    return await repository.department_exists(session, did, town.clause(Department))


_ASSIGNEE_CHECKS: dict[AssigneeKind, AssigneeCheck] = {
    AssigneeKind.member: _member_ok,
    AssigneeKind.team: _team_ok,
    AssigneeKind.department: _department_ok,
}


async def pool(
    session: AsyncSession, principal: Principal, order_id: int, *, if_match: str | None
) -> OrderRead:
    """Into the claim pool of the order's place: members with ``orders.work`` over it
    may claim it (抢单)."""
    order, held = await find(
        session, order_id, visibility.dispatchable(principal), lock=True, if_match=if_match
    )
    now = utcnow()
    await advance(
        session,
        Actor.of(principal),
        order,
        OrderStep.pool,
        now=now,
        dispatched_at=now,
        **_UNASSIGNED | {"assignee_kind": "pool"},
    )
    return present(principal, order, held=held)


async def claim(
    session: AsyncSession, principal: Principal, order_id: int, *, if_match: str | None
) -> OrderRead:
    """抢单: a guarded UPDATE, so exactly one of any number of claimants wins."""
    if principal.person_id is None:
        raise PersonRequired()
    (source,) = sources_of(OrderStep.claim)
    now = utcnow()
    order = await repository.claim(
        session,
        order_id,
        visibility.claimable_area(principal),
        from_status=source,
        version=parse_if_match(if_match) if if_match is not None else None,
        values=_UNASSIGNED
        | {
            "status": next_status(OrderStatus(source), OrderStep.claim).value,
            "assignee_kind": AssigneeKind.member.value,
            "assignee_person_id": principal.person_id,
            "accepted_at": now,
        },
    )
    if order is None:
        raise await _claim_refused(session, principal, order_id, if_match)
    await record(session, Actor.of(principal), order, OrderStep.claim, source, now=now)
    return present(principal, order, held=True)


async def _claim_refused(
    session: AsyncSession, principal: Principal, order_id: int, if_match: str | None
) -> Exception:
    """Why a claim updated nothing: not ours to see (404), stale version (412),
    someone else won (409 ``order.already_claimed``) or not pooled at all (409)."""
    found = await repository.load(session, order_id, visibility.claimable_area(principal))
    if found is None:
        return OrderNotFound()
    order = found[0]
    if if_match is not None:
        check_version(if_match, order.version)
    if await repository.has_event(session, order.id, OrderStep.claim):
        return AlreadyClaimed()
    check_step(order, OrderStep.claim)
    return AlreadyClaimed()


async def accept(
    session: AsyncSession, principal: Principal, order_id: int, *, if_match: str | None
) -> OrderRead:
    """接单 by the named member, any member of the team (who then holds it), or the
    department's staff."""
    order, held = await find(
        session, order_id, visibility.held(principal), lock=True, if_match=if_match
    )
    now = utcnow()
    holder: dict[str, Any] = {}
    if order.assignee_kind == AssigneeKind.team.value and principal.person_id is not None:
        holder = {"assignee_person_id": principal.person_id}
    await advance(
        session, Actor.of(principal), order, OrderStep.accept, now=now, accepted_at=now, **holder
    )
    return present(principal, order, held=held)


async def decline(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: ReasonIn,
    *,
    if_match: str | None,
) -> OrderRead:
    """退单 with a reason: back to the dispatcher, unassigned."""
    order, held = await find(
        session, order_id, visibility.held(principal), lock=True, if_match=if_match
    )
    await advance(
        session,
        Actor.of(principal),
        order,
        OrderStep.decline,
        now=utcnow(),
        note=data.reason,
        data={"declined": _UNASSIGNED | _current_assignee(order)},
        **_UNASSIGNED,
    )
    return present(principal, order, held=held)


def _current_assignee(order: ServiceOrder) -> dict[str, Any]:
    return {column: getattr(order, column) for column in _UNASSIGNED}


async def arrive(session: AsyncSession, principal: Principal, order_id: int) -> ArrivalRead:
    """部门报到: the whistled department reports; late past ``due_at`` (30 minutes by
    default, kpi_setting ``department_arrival_minutes``)."""
    departments = visibility.my_departments(principal)
    arrival = (
        await repository.lock_arrival(session, order_id, departments)
        if departments is not None
        else None
    )
    if arrival is None:
        raise OrderNotFound()
    if arrival.arrived_at is not None:
        raise AlreadyArrived(arrived_at=arrival.arrived_at.isoformat())
    now = utcnow()
    arrival.arrived_at = now
    read = ArrivalRead(
        order_id=arrival.order_id,
        department_id=arrival.department_id,
        whistled_at=arrival.whistled_at,
        due_at=arrival.due_at,
        arrived_at=now,
        is_late=now > arrival.due_at,
    )
    order, _ = await find(session, order_id, visibility.readable(principal))
    await publish(
        session,
        "order.department_arrived",
        aggregate_type="order",
        aggregate_id=order.id,
        payload={"number": order.number, **read.model_dump(mode="json")},
        town_id=order.town_id,
    )
    await audit_service.record(
        session,
        principal,
        "order.arrive",
        summary=f"department #{arrival.department_id} reported in on order {order.number}"
        f"{' (late)' if read.is_late else ''}",
        target_type="order",
        target_id=order.id,
        place=order,
    )
    return read
