"""Use cases of service orders: reading them, and the machinery every workflow
step shares (the steps themselves are ``app.orders.steps``). Services flush,
never commit.

A step is looked up in the transition table (``workflow.next_status``), never
decided here; each step bumps the version, appends to the order's history and
publishes ``order.<past tense of the step>`` to the outbox and writes an
``order.<step>`` audit event, all in the caller's transaction, so a rolled-back step
leaves neither history nor event nor audit record.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import PII
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.config import Settings
from app.files import service as files_service
from app.files.schemas import FileRead
from app.integrations.events import publish
from app.kit.etag import check_version
from app.kit.masking import mask_mobile
from app.kit.pagination import BY_ID, Keyset, paginate
from app.kit.types import DateTime, Id
from app.orders import repository, visibility
from app.orders.errors import (
    InvalidTransition,
    OrderNotFound,
)
from app.orders.models import ServiceOrder, ServiceOrderEvent
from app.orders.schemas import (
    AssigneeRead,
    FeedbackRead,
    OrderEventPage,
    OrderEventRead,
    OrderFilters,
    OrderPage,
    OrderRead,
    OrderSort,
    OrderSummary,
)
from app.orders.workflow import (
    IllegalStep,
    OrderStatus,
    OrderStep,
    allowed_steps,
    next_status,
)

SUBMIT = "submit"
EVENT_TYPES: dict[str, str] = {
    SUBMIT: "order.submitted",
    OrderStep.triage: "order.triaged",
    OrderStep.reject: "order.rejected",
    OrderStep.merge: "order.merged",
    OrderStep.cancel: "order.cancelled",
    OrderStep.dispatch: "order.dispatched",
    OrderStep.pool: "order.pooled",
    OrderStep.claim: "order.claimed",
    OrderStep.accept: "order.accepted",
    OrderStep.decline: "order.declined",
    OrderStep.contact: "order.contacted",
    OrderStep.note: "order.noted",
    OrderStep.resolve: "order.resolved",
    OrderStep.confirm: "order.confirmed",
    OrderStep.reopen: "order.reopened",
    OrderStep.auto_close: "order.auto_closed",
    OrderStep.escalate: "order.escalated",
    OrderStep.second: "order.seconded",
}
"""Outbox event type per step (``order.confirmed`` and ``order.auto_closed`` close it)."""


@dataclass(frozen=True)
class Actor:
    """Who took a step: a user or client, or the system (deadlines, auto-close)."""

    user_id: int | None
    name: str
    subject: str
    """``user:<id>`` / ``client:<id>`` / ``system``: the audit log's actor."""

    @classmethod
    def of(cls, principal: Principal) -> "Actor":
        return cls(
            user_id=principal.user_id,
            name=principal.display_name[:64],
            subject=principal.subject,
        )


SYSTEM = Actor(user_id=None, name="system", subject="system")


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- shared by the steps


async def find(
    session: AsyncSession,
    order_id: int,
    where: ColumnElement[bool],
    *,
    holder: ColumnElement[bool] | None = None,
    lock: bool = False,
    if_match: str | None = None,
) -> tuple[ServiceOrder, bool]:
    """The order ``where`` admits (else 404), whether the caller holds it, and the
    If-Match check (412 when stale; optional on steps)."""
    found = await repository.load(session, order_id, where, holder=holder, lock=lock)
    if found is None:
        raise OrderNotFound()
    if if_match is not None:
        check_version(if_match, found[0].version)
    return found


def check_step(order: ServiceOrder, step: OrderStep) -> OrderStatus:
    try:
        return next_status(OrderStatus(order.status), step)
    except IllegalStep as illegal:
        raise InvalidTransition(
            f"工单状态为 {illegal.status.value}，不能执行 {step.value}",
            f"Step {step.value} is not allowed from status {illegal.status.value}",
            current_status=illegal.status.value,
            step=step.value,
            allowed_steps=[s.value for s in allowed_steps(illegal.status)],
        ) from None


def sources_of(step: OrderStep) -> list[str]:
    """Statuses the table allows ``step`` from (for guarded UPDATEs and batch jobs)."""
    return [status.value for status in OrderStatus if _allows(status, step)]


def _allows(status: OrderStatus, step: OrderStep) -> bool:
    try:
        next_status(status, step)
    except IllegalStep:
        return False
    return True


async def advance(
    session: AsyncSession,
    actor: Actor,
    order: ServiceOrder,
    step: OrderStep,
    *,
    now: datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    **changes: Any,
) -> None:
    """Take ``step`` on a locked order: transition, changes, version, history, event."""
    before = order.status
    target = check_step(order, step)
    for column, value in changes.items():
        setattr(order, column, value)
    order.status = target.value
    order.version += 1
    await record(session, actor, order, step, before, now=now, note=note, data=data)


async def record(
    session: AsyncSession,
    actor: Actor,
    order: ServiceOrder,
    step: str,
    from_status: str | None,
    *,
    now: datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append the history entry, publish the outbox event and audit a step just taken."""
    event = ServiceOrderEvent(
        order_id=order.id,
        step=step,
        from_status=from_status,
        to_status=order.status,
        actor_user_id=actor.user_id,
        actor_name=actor.name,
        note=note,
        data=data or {},
        occurred_at=now,
    )
    await repository.add(session, event)
    await publish(
        session,
        EVENT_TYPES[step],
        aggregate_type="order",
        aggregate_id=order.id,
        payload=_payload(order, event),
        place=order,
    )
    await audit_service.record(
        session,
        None,
        f"order.{step}",
        summary=f"{step} order {order.number}: {from_status or '-'} → {order.status}",
        target_type="order",
        target_id=order.id,
        place=order,
        actor_user_id=actor.user_id,
        actor_name=actor.subject,
    )


def _payload(order: ServiceOrder, event: ServiceOrderEvent) -> dict[str, Any]:
    """What webhook receivers, notifications and in-transaction subscribers (red
    points) get. The contact is personal data: webhooks mask it unless the subscriber
    holds ``pii`` over the order (PIPL)."""
    return {
        "order_id": order.id,
        "number": order.number,
        "title": order.title,
        "contact_name": order.contact_name,
        "contact_phone": order.contact_phone,
        "step": event.step,
        "from_status": event.from_status,
        "status": order.status,
        "category": order.category,
        "resident_person_id": order.resident_person_id,
        "assignee": _assignee(order),
        "town_id": order.town_id,
        "community_id": order.community_id,
        "grid_id": order.grid_id,
        "location_unit_id": order.location_unit_id,
        "escalation_level": order.escalation_level,
        "actor_user_id": event.actor_user_id,
        "occurred_at": event.occurred_at.isoformat(),
        "data": event.data,
    }


def _assignee(order: ServiceOrder) -> dict[str, Any] | None:
    if order.assignee_kind is None:
        return None
    return {
        "kind": order.assignee_kind,
        "person_id": order.assignee_person_id,
        "team_id": order.assignee_team_id,
        "department_id": order.assignee_department_id,
    }


def present(principal: Principal, order: ServiceOrder, *, held: bool = False) -> OrderRead:
    """The read model; the contact phone is masked unless the caller is the resident,
    holds the order or has ``pii`` over it (PIPL)."""
    own = principal.person_id is not None and principal.person_id in (
        order.resident_person_id,
        order.assignee_person_id,
    )
    phone = order.contact_phone
    if not (held or own or principal.scope(PII).covers(order)):
        phone = mask_mobile(phone)
    status = OrderStatus(order.status)
    fields = {name: getattr(order, name) for name in _PLAIN_FIELDS}
    return OrderRead(
        **fields,
        status=status,
        allowed_steps=list(allowed_steps(status)),
        contact_phone=phone,
        assignee=AssigneeRead.model_validate(a) if (a := _assignee(order)) else None,
        feedback=_feedback(order),
    )


_PLAIN_FIELDS = tuple(
    name
    for name in OrderRead.model_fields
    if name not in {"status", "allowed_steps", "contact_phone", "assignee", "feedback"}
)


def _feedback(order: ServiceOrder) -> FeedbackRead | None:
    if order.feedback_at is None or order.feedback_resolved is None:
        return None
    return FeedbackRead.model_validate(
        {
            "resolved": order.feedback_resolved,
            "satisfied": order.feedback_satisfaction,
            "comment": order.feedback_comment,
            "answered_at": order.feedback_at,
            "channel": order.feedback_channel or "self",
            "taken_by_user_id": order.feedback_by_user_id,
        }
    )


# ---------------------------------------------------------------- reading


async def get_order(session: AsyncSession, principal: Principal, order_id: int) -> OrderRead:
    order, held = await find(
        session, order_id, visibility.readable(principal), holder=visibility.held(principal)
    )
    return present(principal, order, held=held)


async def read_order_file(
    session: AsyncSession, settings: Settings, principal: Principal, order_id: int, file_id: int
) -> FileRead:
    """A file attached to an order, for whoever may read the order (404 otherwise)."""
    await find(session, order_id, visibility.readable(principal), holder=visibility.held(principal))
    return await files_service.read_attached(session, settings, order_id, file_id)


BY_TIME: Keyset[tuple[datetime, int]] = Keyset(DateTime, Id)
_SORT_KEYSETS: dict[OrderSort, tuple[Keyset[Any], Callable[[Any], Any]]] = {
    OrderSort.newest: (BY_ID, lambda row: row.id),
    OrderSort.received: (BY_TIME, lambda row: (row.received_at, row.id)),
    OrderSort.received_desc: (BY_TIME, lambda row: (row.received_at, row.id)),
    OrderSort.deadline: (BY_TIME, lambda row: (row.resolve_due_at, row.id)),
    OrderSort.updated: (BY_TIME, lambda row: (row.updated_at, row.id)),
}


async def list_orders(
    session: AsyncSession,
    principal: Principal,
    filters: OrderFilters,
    *,
    limit: int,
    cursor: str | None,
    sort: OrderSort = OrderSort.newest,
) -> OrderPage:
    """Visible orders, filtered, in the order of ``sort`` (keyset on its key and id)."""
    keyset, key = _SORT_KEYSETS[sort]
    keyset.decode(cursor)  # a tampered cursor is a 400 even when the unit filter finds nothing
    where = [visibility.readable(principal)]
    if filters.unit_id is not None:
        unit = await repository.any_unit(session, filters.unit_id)
        if unit is None:
            return OrderPage(items=[], next_cursor=None)
        where.append(Scope.of([(unit.level, unit.id)]).clause(ServiceOrder))
    if filters.assignee_me:
        where.append(visibility.held(principal))
    rows, next_cursor = await paginate(
        keyset,
        cursor,
        limit,
        lambda after, n: repository.list_orders(
            session, where, filters, sort=sort, after=after, limit=n
        ),
        key=key,
    )
    return OrderPage(
        items=[OrderSummary.model_validate(row) for row in rows], next_cursor=next_cursor
    )


async def list_events(
    session: AsyncSession, principal: Principal, order_id: int, *, limit: int, cursor: str | None
) -> OrderEventPage:
    """The order's history, oldest first."""
    await find(session, order_id, visibility.readable(principal))
    rows, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.list_events(session, order_id, after_id=after, limit=n),
        key=lambda event: event.id,
    )
    return OrderEventPage(
        items=[OrderEventRead.model_validate(row) for row in rows], next_cursor=next_cursor
    )
