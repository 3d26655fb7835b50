"""分拣 (triage, reject, merge) by dispatchers; the resident's cancel and 附议."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import ORDERS_SUBMIT
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.kit.calendar import WorkingCalendar
from app.kit.etag import check_version
from app.orders import deadlines, repository, visibility
from app.orders.errors import (
    AlreadySeconded,
    CannotSecondOwn,
    InvalidTransition,
    MergeIntoItself,
    MergeTargetClosed,
    MergeTargetNotFound,
    OrderNotFound,
    PersonRequired,
    TimeLimitUnknown,
)
from app.orders.models import ServiceOrder
from app.orders.schemas import MergeIn, OrderRead, ReasonIn, SecondRead, TriageIn
from app.orders.service import Actor, advance, check_step, find, present, utcnow
from app.orders.workflow import OrderStep
from app.people.models import Person


async def triage(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: TriageIn,
    *,
    if_match: str | None,
) -> OrderRead:
    """Accept into work: priority, time-limit class and the deadlines it sets."""
    order, held = await find(
        session,
        order_id,
        visibility.dispatchable(principal),
        holder=visibility.held(principal),
        lock=True,
        if_match=if_match,
    )
    check_step(order, OrderStep.triage)
    code = data.time_limit or await repository.default_time_limit(session, order.category)
    limit = await repository.time_limit(session, code) if code else None
    if limit is None:
        raise TimeLimitUnknown()
    calendar = WorkingCalendar(await repository.calendar_overrides(session))
    due = deadlines.compute(order.received_at, limit, calendar)
    now = utcnow()
    await advance(
        session,
        Actor.of(principal),
        order,
        OrderStep.triage,
        now=now,
        data={"priority": data.priority, "time_limit": limit.code},
        priority=data.priority,
        time_limit=limit.code,
        is_excluded=data.is_excluded,
        triaged_at=now,
        response_due_at=due.response_due_at,
        resolve_due_at=due.resolve_due_at,
    )
    return present(principal, order, held=held)


async def reject(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: ReasonIn,
    *,
    if_match: str | None,
) -> OrderRead:
    order, held = await find(
        session, order_id, visibility.dispatchable(principal), lock=True, if_match=if_match
    )
    await advance(
        session,
        Actor.of(principal),
        order,
        OrderStep.reject,
        now=utcnow(),
        note=data.reason,
        reject_reason=data.reason,
    )
    return present(principal, order, held=held)


async def merge(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: MergeIn,
    *,
    if_match: str | None,
) -> OrderRead:
    """A duplicate joins an open order; its resident and seconds become the other's 附议."""
    orders = await repository.lock_many(
        session, {order_id, data.into_order_id}, visibility.dispatchable(principal)
    )
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound()
    if if_match is not None:
        check_version(if_match, order.version)
    target = orders.get(data.into_order_id)
    if target is order:
        raise MergeIntoItself()
    if target is None:
        raise MergeTargetNotFound()
    check_step(order, OrderStep.merge)
    try:
        check_step(target, OrderStep.second)
    except InvalidTransition:
        raise MergeTargetClosed(current_status=target.status) from None
    actor, now = Actor.of(principal), utcnow()
    await advance(
        session,
        actor,
        order,
        OrderStep.merge,
        now=now,
        data={"into_order_id": target.id, "into_number": target.number},
        merged_into_id=target.id,
    )
    await _absorb(session, actor, target, order)
    return present(principal, order)


async def _absorb(
    session: AsyncSession, actor: Actor, target: ServiceOrder, duplicate: ServiceOrder
) -> None:
    await repository.move_seconds(
        session, duplicate.id, target.id, skip_person_id=target.resident_person_id
    )
    resident = duplicate.resident_person_id
    if resident is not None and resident != target.resident_person_id:
        await repository.add_second(session, target.id, resident)
    await advance(
        session,
        actor,
        target,
        OrderStep.second,
        now=utcnow(),
        note=f"合并重复工单 {duplicate.number}",
        data={"merged_from_id": duplicate.id, "merged_from_number": duplicate.number},
        seconds_count=await repository.count_seconds(session, target.id),
    )


async def cancel(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: ReasonIn,
    *,
    if_match: str | None,
) -> OrderRead:
    """The resident withdraws it; the table allows this only before acceptance."""
    order, held = await find(
        session, order_id, visibility.owned(principal), lock=True, if_match=if_match
    )
    await advance(
        session, Actor.of(principal), order, OrderStep.cancel, now=utcnow(), note=data.reason
    )
    return present(principal, order, held=held)


async def second(
    session: AsyncSession, principal: Principal, order_id: int, *, if_match: str | None
) -> SecondRead:
    """附议: a neighbour with the same problem backs an open order, once."""
    person = (
        await repository.live_person(session, principal.person_id)
        if principal.person_id is not None
        else None
    )
    if person is None:
        raise PersonRequired()
    area = _neighbourhood(principal, person).clause(ServiceOrder)
    order, _ = await find(session, order_id, area, lock=True, if_match=if_match)
    if order.resident_person_id == person.id:
        raise CannotSecondOwn()
    check_step(order, OrderStep.second)
    if not await repository.add_second(session, order.id, person.id):
        raise AlreadySeconded()
    await advance(
        session,
        Actor.of(principal),
        order,
        OrderStep.second,
        now=utcnow(),
        data={"person_id": person.id},
        seconds_count=order.seconds_count + 1,
    )
    return SecondRead(order_id=order.id, number=order.number, seconds_count=order.seconds_count)


def _neighbourhood(principal: Principal, person: Person) -> Scope:
    """Where a resident may second: their ``orders.submit`` scope and home community."""
    own = principal.scope(ORDERS_SUBMIT)
    if own.unrestricted or not person.community_id:
        return own
    return Scope.of([*own.nodes, ("community", person.community_id)])
