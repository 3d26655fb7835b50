"""Open311 GeoReport v2 mapped onto service orders (see README "Open311").

``api_key`` is an integration client's ``<client_id>:<client_secret>``; the client's
node fixes the jurisdiction (``jurisdiction_id`` = the town's code) and its scopes what
it may file (``orders.submit_for``) and read (``orders.read``). Our states map onto
``open``/``closed``; ``expected_datetime`` is the 办结 deadline, ``agency_responsible``
who holds the order. Flush, never commit.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.authz import principals
from app.authz.permissions import ORDERS_READ, ORDERS_SUBMIT_FOR
from app.authz.principal import Principal
from app.hierarchy.models import OrgUnit
from app.observability import current_client_ip
from app.orders import visibility
from app.orders.models import OrderCategory, ServiceOrder
from app.orders.schemas import Channel, OrderCreate
from app.orders.steps.submit import submit_order
from app.orders.workflow import TERMINAL, OrderStatus

# Open311's "closed" is "the request has been resolved": our 办结 (resolved, awaiting
# 回访) and every terminal state; status_notes says which.
CLOSED = frozenset({OrderStatus.resolved.value, *(status.value for status in TERMINAL)})
DEFAULT_DAYS = 90
DEFAULT_COUNT = 1000


@dataclass(frozen=True)
class Open311Error(Exception):
    """An error as GeoReport v2 reports it: an HTTP status and a description."""

    status: int
    description: str


@dataclass(frozen=True)
class Caller:
    principal: Principal
    jurisdiction: str
    unit_id: int
    """The client's node: where a request without ``address_id`` is placed."""


async def authenticate(session: AsyncSession, api_key: str | None) -> Caller:
    client_id, _, secret = (api_key or "").partition(":")
    if not client_id or not secret:
        raise Open311Error(403, "api_key missing or malformed (client_id:client_secret)")
    client = await auth_service.authenticate_client(session, client_id, secret)
    if client is None:
        raise Open311Error(403, "api_key not accepted")
    principal = await principals.load(session, f"client:{client.client_id}")
    if principal is None:
        raise Open311Error(403, "api_key not accepted")
    if not principal.calls_from(current_client_ip()):
        raise Open311Error(403, "this api_key may not be used from this address")
    unit = await session.get(OrgUnit, client.org_unit_id)
    town = await session.get(OrgUnit, unit.town_id) if unit and unit.town_id else unit
    return Caller(principal, town.code if town else "", client.org_unit_id)


async def town_exists(session: AsyncSession, code: str) -> bool:
    found = await session.scalar(
        select(OrgUnit.id).where(OrgUnit.code == code, OrgUnit.level == "town")
    )
    return found is not None


def check_jurisdiction(caller: Caller | None, jurisdiction_id: str | None) -> None:
    if jurisdiction_id and caller is not None and jurisdiction_id != caller.jurisdiction:
        raise Open311Error(404, f"jurisdiction_id {jurisdiction_id} not found")


async def services(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(OrderCategory).where(OrderCategory.is_active).order_by(OrderCategory.code)
    )
    return [_service(category) for category in rows]


async def service_definition(session: AsyncSession, code: str) -> dict[str, Any]:
    category = await session.get(OrderCategory, code)
    if category is None or not category.is_active:
        raise Open311Error(404, f"service_code {code} not found")
    return {"service_code": category.code, "attributes": []}


def _service(category: OrderCategory) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name_zh,
        "description": category.name_en,
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "",
    }


@dataclass(frozen=True)
class NewRequest:
    service_code: str
    description: str | None
    lat: float | None
    long: float | None
    address_string: str | None
    address_id: int | None
    media_url: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    token: str | None


async def create_request(
    session: AsyncSession, caller: Caller, new: NewRequest
) -> list[dict[str, Any]]:
    if not caller.principal.has(ORDERS_SUBMIT_FOR):
        raise Open311Error(403, "this api_key may not file requests (orders.submit_for)")
    if new.lat is None and new.address_string is None and new.address_id is None:
        raise Open311Error(400, "a location is required: lat & long, address_string or address_id")
    category = await session.get(OrderCategory, new.service_code)
    if category is None or not category.is_active:
        raise Open311Error(404, f"service_code {new.service_code} not found")
    description = (new.description or category.name_zh).strip() or category.name_zh
    name = " ".join(p for p in (new.first_name, new.last_name) if p) or None
    try:
        data = OrderCreate(
            category=new.service_code,
            title=description.splitlines()[0][:100],
            description=description[:2000],
            channel=Channel.open311,
            location_unit_id=new.address_id or caller.unit_id,
            address_detail=new.address_string,
            latitude=new.lat,
            longitude=new.long,
            external_ref=new.token,
            attachments=[new.media_url] if new.media_url else [],
            contact_name=name,
            contact_phone=new.phone,
        )
    except ValueError as exc:
        raise Open311Error(400, str(exc).splitlines()[0]) from None
    order = await submit_order(session, caller.principal, data)
    return [{"service_request_id": str(order.id), "service_notice": "", "account_id": None}]


def _readable(caller: Caller) -> Select[tuple[ServiceOrder]]:
    if not caller.principal.has(ORDERS_READ):
        raise Open311Error(403, "this api_key may not read requests (orders.read)")
    return select(ServiceOrder).where(visibility.readable(caller.principal))


async def list_requests(
    session: AsyncSession,
    caller: Caller,
    *,
    ids: list[int],
    service_code: str | None,
    start: datetime | None,
    end: datetime | None,
    status: str | None,
    page: int,
    page_size: int | None,
) -> list[dict[str, Any]]:
    query = _readable(caller)
    if ids:
        query = query.where(ServiceOrder.id.in_(ids))
    else:
        # The spec's default window: the last 90 days, at most 1,000 requests.
        if start is None and end is None:
            start = datetime.now(UTC) - timedelta(days=DEFAULT_DAYS)
        if start is not None:
            query = query.where(ServiceOrder.received_at >= start)
        if end is not None:
            query = query.where(ServiceOrder.received_at <= end)
        if service_code:
            query = query.where(ServiceOrder.category.in_(service_code.split(",")))
        if status == "open":
            query = query.where(ServiceOrder.status.not_in(CLOSED))
        elif status == "closed":
            query = query.where(ServiceOrder.status.in_(CLOSED))
    size = min(page_size or DEFAULT_COUNT, DEFAULT_COUNT)
    query = query.order_by(ServiceOrder.id.desc()).offset((page - 1) * size).limit(size)
    return [await _request(session, order) for order in await session.scalars(query)]


async def get_request(
    session: AsyncSession, caller: Caller, request_id: int
) -> list[dict[str, Any]]:
    order = await session.scalar(_readable(caller).where(ServiceOrder.id == request_id))
    if order is None:
        raise Open311Error(404, f"service_request_id {request_id} not found")
    return [await _request(session, order)]


async def by_token(session: AsyncSession, caller: Caller, token: str) -> list[dict[str, Any]]:
    order = await session.scalar(
        _readable(caller).where(ServiceOrder.external_ref == token).order_by(ServiceOrder.id)
    )
    if order is None:
        raise Open311Error(404, f"token {token} not found")
    return [{"service_request_id": str(order.id), "token": token}]


async def _request(session: AsyncSession, order: ServiceOrder) -> dict[str, Any]:
    closed = order.status in CLOSED
    place = await session.get(OrgUnit, order.community_id or order.location_unit_id)
    return {
        "service_request_id": str(order.id),
        "status": "closed" if closed else "open",
        "status_notes": _notes(order),
        "service_name": order.category,
        "service_code": order.category,
        "description": order.description,
        "agency_responsible": place.name if place else "",
        "service_notice": "",
        "requested_datetime": _iso(order.received_at),
        "updated_datetime": _iso(order.updated_at),
        "expected_datetime": _iso(order.resolve_due_at),
        "address": order.address_detail or "",
        "address_id": str(order.location_unit_id),
        "zipcode": "",
        "lat": float(order.latitude) if order.latitude is not None else None,
        "long": float(order.longitude) if order.longitude is not None else None,
        "media_url": order.attachments[0] if order.attachments else "",
    }


_NOTES = {
    "submitted": "待受理 · received",
    "triaged": "待派单 · accepted, awaiting dispatch",
    "dispatched": "待接单 · dispatched",
    "pooled": "抢单中 · open for party members to take",
    "in_progress": "处置中 · being worked on",
    "resolved": "已办结 · resolved, awaiting the resident's answer",
    "closed": "已办结 · closed",
    "rejected": "已驳回 · rejected",
    "merged": "已合并 · merged into another request",
    "cancelled": "已撤销 · cancelled",
}


def _notes(order: ServiceOrder) -> str:
    return f"{order.number} {_NOTES.get(order.status, order.status)}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
