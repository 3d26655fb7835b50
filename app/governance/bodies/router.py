"""``/partner-bodies`` (业委会, 物业公司, 社会组织, 单位) with their property contracts, and
``/offices``: who holds which office in which seat, and per compound who sits where."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import CurrentPrincipal
from app.db.session import DbSession
from app.governance.bodies import offices, service
from app.governance.bodies.rules import BodyKind
from app.governance.bodies.schemas import (
    CompoundSeats,
    ContractCreate,
    ContractPage,
    ContractRead,
    OfficeCreate,
    OfficeEnd,
    OfficePage,
    OfficeRead,
    PartnerBodyCreate,
    PartnerBodyPage,
    PartnerBodyRead,
    PartnerBodyUpdate,
)
from app.governance.common_router import (
    READ,
    UPDATE,
    WRITE,
    CanManage,
    CanRead,
    Cursor,
    Limit,
)
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, IfMatchRequired, set_etag, set_location, tagged
from app.kit.pagination import DEFAULT_LIMIT
from app.kit.types import BoolParam, IdParam

router = APIRouter(prefix="/partner-bodies", tags=["partner-bodies"], route_class=IdempotentRoute)
offices_router = APIRouter(tags=["offices"], route_class=IdempotentRoute)


@router.post(
    "",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses={**WRITE, 201: {"headers": ETAG_HEADER}},
    summary="Register a partner body · 登记合作主体",
)
async def create_partner_body(
    body: PartnerBodyCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> PartnerBodyRead:
    """An owners' committee, property company, social organisation (社会组织入驻) or a
    unit's party organisation, linked to a node the caller manages."""
    result = await service.create_body(session, principal, body)
    set_location(request, response, "get_partner_body", partner_body_id=result.id)
    return tagged(response, result)


@router.get("", dependencies=[CanRead], responses=READ, summary="List partner bodies · 合作主体")
async def list_partner_bodies(
    principal: CurrentPrincipal,
    session: DbSession,
    org_unit_id: Annotated[IdParam | None, Query(description="Only bodies in this subtree")] = None,
    kind: BodyKind | None = None,
    is_active: BoolParam | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> PartnerBodyPage:
    return await service.list_bodies(
        session,
        principal,
        org_unit_id=org_unit_id,
        kind=kind,
        is_active=is_active,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/{partner_body_id}",
    dependencies=[CanRead],
    responses={**READ, 200: {"headers": ETAG_HEADER}},
    summary="Read a partner body · 合作主体详情",
)
async def get_partner_body(
    partner_body_id: IdParam, response: Response, principal: CurrentPrincipal, session: DbSession
) -> PartnerBodyRead:
    body = await service.get_body(session, principal, partner_body_id)
    set_etag(response, body.version)
    return body


@router.patch(
    "/{partner_body_id}",
    dependencies=[CanManage],
    responses={**UPDATE, 200: {"headers": ETAG_HEADER}},
    summary="Change a partner body · 修改合作主体",
)
async def update_partner_body(
    partner_body_id: IdParam,
    body: PartnerBodyUpdate,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> PartnerBodyRead:
    """With ``If-Match`` (412 when stale, 428 without); ``is_active: false`` when it is
    dissolved — its offices and history stay."""
    updated = await service.update_body(session, principal, partner_body_id, body, if_match)
    set_etag(response, updated.version)
    return updated


@router.post(
    "/{partner_body_id}/contracts",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses=WRITE,
    summary="Add a property contract · 登记物业服务合同",
)
async def add_property_contract(
    partner_body_id: IdParam,
    body: ContractCreate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> ContractRead:
    """A property company serving a compound the caller manages, for a period."""
    return await service.add_contract(session, principal, partner_body_id, body)


@router.get(
    "/{partner_body_id}/contracts",
    dependencies=[CanRead],
    responses=READ,
    summary="A property company's contracts · 物业服务合同",
)
async def list_property_contracts(
    partner_body_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> ContractPage:
    return await service.list_contracts(
        session, principal, partner_body_id, limit=limit, cursor=cursor
    )


# ---------------------------------------------------------------- offices


@offices_router.post(
    "/offices",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses={**WRITE, 201: {"headers": ETAG_HEADER}},
    summary="Appoint to an office · 任职",
)
async def appoint_office(
    body: OfficeCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> OfficeRead:
    """A person takes an office in one seat (org unit, body or station) from
    ``starts_on``. Party offices (书记, 委员, 党小组长, 站长) need a party member. With
    ``grant_role`` the holder's account gets that role at the seat's node now, revoked
    when the term ends; the caller must hold all of the role there and may not appoint
    themselves (403 ``office.self_appointment``)."""
    result = await offices.appoint(session, principal, body)
    set_location(request, response, "get_office", office_id=result.id)
    return tagged(response, result)


@offices_router.get(
    "/offices", dependencies=[CanRead], responses=READ, summary="List offices · 任职"
)
async def list_offices(
    principal: CurrentPrincipal,
    session: DbSession,
    org_unit_id: Annotated[IdParam | None, Query(description="Seats in this subtree")] = None,
    body_id: IdParam | None = None,
    station_id: IdParam | None = None,
    person_id: IdParam | None = None,
    current: Annotated[
        BoolParam | None, Query(description="true: running terms; false: ended ones (history)")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> OfficePage:
    return await offices.list_offices(
        session,
        principal,
        org_unit_id=org_unit_id,
        body_id=body_id,
        station_id=station_id,
        person_id=person_id,
        current=current,
        limit=limit,
        cursor=cursor,
    )


@offices_router.get(
    "/offices/{office_id}",
    dependencies=[CanRead],
    responses={**READ, 200: {"headers": ETAG_HEADER}},
    summary="Read an office term · 任职详情",
)
async def get_office(
    office_id: IdParam, response: Response, principal: CurrentPrincipal, session: DbSession
) -> OfficeRead:
    term = await offices.get_office(session, principal, office_id)
    set_etag(response, term.version)
    return term


@offices_router.post(
    "/offices/{office_id}/end",
    dependencies=[CanManage, Idempotent],
    responses={**UPDATE, 200: {"headers": ETAG_HEADER}},
    summary="End a term · 离任",
)
async def end_office(
    office_id: IdParam,
    body: OfficeEnd,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> OfficeRead:
    """The term ends (history keeps it) and the role it carried is revoked."""
    term = await offices.end_term(session, principal, office_id, body, if_match)
    set_etag(response, term.version)
    return term


@offices_router.get(
    "/compounds/{compound_id}/seats",
    dependencies=[CanRead],
    responses=READ,
    summary="Who sits where in a compound · 交叉任职",
)
async def get_compound_seats(
    compound_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> CompoundSeats:
    """Current offices in the compound's branch, buildings, bodies and stations, and in
    the property companies serving it, by person; people in two or more seats first
    (双向进入、交叉任职)."""
    return await offices.compound_seats(session, principal, compound_id)
