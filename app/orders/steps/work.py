"""处置 by whoever holds the order (first contact, notes, resolve) and the
resident's 回访, which closes it or sends it back (返工)."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.principal import Principal
from app.files import service as files_service
from app.orders import deadlines, repository, visibility
from app.orders.models import ServiceOrder
from app.orders.schemas import (
    ArrivalRead,
    ContactIn,
    FeedbackIn,
    NoteIn,
    OrderRead,
    ReasonIn,
    ResolveIn,
    StaffFeedbackIn,
)
from app.orders.service import Actor, advance, find, present, utcnow
from app.orders.workflow import OrderStep


async def contact(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: ContactIn,
    *,
    if_match: str | None,
) -> OrderRead:
    """First contact with the resident (响应率 counts the first one only)."""
    order, held = await find(
        session, order_id, visibility.held(principal), lock=True, if_match=if_match
    )
    now = utcnow()
    await advance(
        session,
        Actor.of(principal),
        order,
        OrderStep.contact,
        now=now,
        note=data.note,
        first_contact_at=order.first_contact_at or now,
    )
    return present(principal, order, held=held)


async def note(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: NoteIn,
    *,
    if_match: str | None,
) -> OrderRead:
    order, held = await find(
        session, order_id, visibility.held(principal), lock=True, if_match=if_match
    )
    file_ids = await files_service.attach_to_order(session, principal, data.file_ids, order.id)
    await advance(
        session,
        Actor.of(principal),
        order,
        OrderStep.note,
        now=utcnow(),
        note=data.text,
        data={"file_ids": file_ids} if file_ids else None,
    )
    return present(principal, order, held=held)


async def resolve(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: ResolveIn,
    *,
    if_match: str | None,
) -> OrderRead:
    order, held = await find(
        session, order_id, visibility.held(principal), lock=True, if_match=if_match
    )
    now = utcnow()
    file_ids = await files_service.attach_to_order(
        session, principal, data.photo_file_ids, order.id
    )
    await advance(
        session,
        Actor.of(principal),
        order,
        OrderStep.resolve,
        now=now,
        note=data.result[:1000],
        data={"photos": data.photos, "file_ids": file_ids},
        resolved_at=now,
        result=data.result,
        result_photos=data.photos,
        result_file_ids=file_ids,
    )
    return present(principal, order, held=held)


async def feedback(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: FeedbackIn,
    *,
    if_match: str | None,
) -> OrderRead:
    """回访 by the resident it is for: resolved and (basically) satisfied closes it
    (OrderStep.confirm); any other answer reopens it to the same holder (reopen, 返工)."""
    order, held = await find(
        session, order_id, visibility.owned(principal), lock=True, if_match=if_match
    )
    await _answer(session, principal, order, data, channel="self", taken_by=None)
    return present(principal, order, held=held)


async def staff_feedback(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: StaffFeedbackIn,
    *,
    if_match: str | None,
) -> OrderRead:
    """回访 taken by staff (电话回访): the same answers with the same effect on the order
    and the KPIs as the resident's own, recorded with the channel and who called."""
    order, held = await find(
        session, order_id, visibility.dispatchable(principal), lock=True, if_match=if_match
    )
    await _answer(session, principal, order, data, channel=data.channel, taken_by=principal.user_id)
    return present(principal, order, held=held)


async def _answer(
    session: AsyncSession,
    principal: Principal,
    order: ServiceOrder,
    data: FeedbackIn,
    *,
    channel: str,
    taken_by: int | None,
) -> None:
    now = utcnow()
    answers = {
        "resolved": data.resolved.value,
        "satisfied": data.satisfied.value,
        "channel": channel,
    }
    step, outcome = (
        (OrderStep.confirm, {"closed_at": now})
        if data.is_happy
        else (OrderStep.reopen, {"rework_count": order.rework_count + 1})
    )
    await advance(
        session,
        Actor.of(principal),
        order,
        step,
        now=now,
        note=data.comment,
        data=answers,
        feedback_resolved=data.resolved.value,
        feedback_satisfaction=data.satisfied.value,
        feedback_comment=data.comment,
        feedback_channel=channel,
        feedback_by_user_id=taken_by,
        feedback_at=now,
        **outcome,
    )


async def whistle(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    data: ReasonIn,
    *,
    if_match: str | None,
) -> OrderRead:
    """吹哨 by hand: the holder escalates the order one level up themself (the grid's
    community, then the town), without waiting for a deadline to pass."""
    order, held = await find(
        session, order_id, visibility.held(principal), lock=True, if_match=if_match
    )
    level = order.escalation_level + 1
    notify_level, notify_unit_id = deadlines.escalation_target(order, level)
    await advance(
        session,
        Actor.of(principal),
        order,
        OrderStep.escalate,
        now=utcnow(),
        note=data.reason,
        data={
            "breach": "manual",
            "due_at": None,
            "level": level,
            "notify": {"level": notify_level, "unit_id": notify_unit_id},
            "holder": {
                "kind": order.assignee_kind,
                "person_id": order.assignee_person_id,
                "team_id": order.assignee_team_id,
                "department_id": order.assignee_department_id,
                "location_unit_id": order.location_unit_id,
            },
        },
        escalation_level=level,
    )
    return present(principal, order, held=held)


async def list_arrivals(
    session: AsyncSession, principal: Principal, order_id: int
) -> list[ArrivalRead]:
    """部门报到 on the order: every department whistled to it, and when it came."""
    await find(session, order_id, visibility.readable(principal), holder=visibility.held(principal))
    now = utcnow()
    return [
        ArrivalRead(
            order_id=a.order_id,
            department_id=a.department_id,
            whistled_at=a.whistled_at,
            due_at=a.due_at,
            arrived_at=a.arrived_at,
            is_late=(a.arrived_at or now) > a.due_at,
        )
        for a in await repository.arrivals_of(session, order_id)
    ]
