"""点单: a resident files for themselves; staff and grid workers for a resident in
their scope, or for nobody with a location (网格员巡查). The order gets a readable
number and its location's ancestor ids; its history starts with ``submit``."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import ORDERS_SUBMIT, ORDERS_SUBMIT_FOR
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.db.base import ANCESTOR_COLUMNS
from app.errors import Forbidden
from app.files import service as files_service
from app.hierarchy.models import OrgUnit
from app.kit.calendar import BUSINESS_TZ
from app.orders import repository
from app.orders.errors import (
    CategoryUnavailable,
    LocationNotFound,
    LocationRequired,
    PersonRequired,
    ResidentNotFound,
)
from app.orders.models import ServiceOrder
from app.orders.schemas import OrderCreate, OrderRead
from app.orders.service import SUBMIT, Actor, present, record, utcnow
from app.orders.workflow import OrderStatus
from app.people.models import Person


async def submit_order(session: AsyncSession, principal: Principal, data: OrderCreate) -> OrderRead:
    category = await repository.active_category(session, data.category)
    if category is None:
        raise CategoryUnavailable()
    resident, unit = await _resident_and_place(session, principal, data)
    now = utcnow()
    order = ServiceOrder(
        number=await _next_number(session, now),
        status=OrderStatus.submitted.value,
        received_at=now,
        resident_person_id=resident.id if resident else None,
        submitted_by_user_id=principal.user_id,
        location_unit_id=unit.id,
        contact_name=data.contact_name or (resident.name if resident else None),
        contact_phone=data.contact_phone or (resident.mobile if resident else None),
        **_fresh_columns(),
        **_place_of(unit),
        **data.model_dump(
            exclude={
                "resident_person_id",
                "location_unit_id",
                "contact_name",
                "contact_phone",
                "file_ids",
            }
        ),
    )
    await repository.add(session, order)
    order.attachment_file_ids = await files_service.attach_to_order(
        session, principal, data.file_ids, order.id
    )
    await record(session, Actor.of(principal), order, SUBMIT, None, now=now)
    return present(principal, order)


def _fresh_columns() -> dict[str, Any]:
    """Server defaults, set here so the new row needs no reload (no lazy loads in async)."""
    return {
        "priority": 3,
        "seconds_count": 0,
        "escalation_level": 0,
        "is_excluded": False,
        "rework_count": 0,
        "result_photos": [],
        "result_file_ids": [],
        "version": 1,
    }


def _place_of(unit: OrgUnit) -> dict[str, int | None]:
    """The location's ancestor ids (its own included): every scoped list is an index lookup."""
    return {column: getattr(unit, column) for column in ANCESTOR_COLUMNS}


async def _next_number(session: AsyncSession, now: datetime) -> str:
    day = now.astimezone(BUSINESS_TZ).date()
    value = await repository.next_number_value(session, day)
    return f"GD{day:%Y%m%d}-{value:06d}"


async def _resident_and_place(
    session: AsyncSession, principal: Principal, data: OrderCreate
) -> tuple[Person | None, OrgUnit]:
    """A resident files for themselves, at home or an ancestor of home (their grid,
    community …); staff file for a resident in their ``orders.submit_for`` scope, or
    for nobody (网格员巡查) with a location in that scope."""
    for_self = principal.has(ORDERS_SUBMIT) and (
        data.resident_person_id == principal.person_id
        if data.resident_person_id is not None
        else not principal.has(ORDERS_SUBMIT_FOR)
    )
    if for_self:
        if principal.person_id is None:
            raise PersonRequired()
        person = await repository.live_person(session, principal.person_id)
        if person is None:
            raise PersonRequired()
        unit = await _place(session, data.location_unit_id or person.home_unit_id)
        if not Scope.of([(unit.level, unit.id)]).covers(person):
            raise LocationNotFound()  # residents file at or above home (居民点单)
        return person, unit
    return await _filed_for(session, principal, data)


async def _filed_for(
    session: AsyncSession, principal: Principal, data: OrderCreate
) -> tuple[Person | None, OrgUnit]:
    if not principal.has(ORDERS_SUBMIT_FOR):
        raise Forbidden("居民只能为本人点单", "Residents file orders for themselves only")
    scope = principal.scope(ORDERS_SUBMIT_FOR)
    resident = None
    if data.resident_person_id is not None:
        resident = await repository.live_person(
            session, data.resident_person_id, scope.clause(Person)
        )
        if resident is None:
            raise ResidentNotFound()
    unit_id = data.location_unit_id or (resident.home_unit_id if resident else None)
    if unit_id is None:
        raise LocationRequired()
    unit = await _place(session, unit_id)
    if not scope.covers(unit):
        raise LocationNotFound()
    return resident, unit


async def _place(session: AsyncSession, unit_id: int) -> OrgUnit:
    unit = await repository.live_unit(session, unit_id)
    if unit is None:
        raise LocationNotFound()
    return unit
