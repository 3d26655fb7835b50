"""``/api/v1/stats/kpi-settings``: a town's KPI settings (考核口径), versioned.

A town's staff with ``orders.config`` add versions for their town; anyone with
``orders.stats`` or ``orders.config`` over the town reads them. Handlers stay thin.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import CurrentPrincipal, require, require_any
from app.authz.permissions import ORDERS_CONFIG, ORDERS_STATS
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, IfMatch, set_etag, set_location
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.kit.schemas import problem_responses
from app.kit.types import Date, IdParam
from app.reporting.kpi_settings import service
from app.reporting.kpi_settings.schemas import (
    KpiSettingsInForce,
    KpiSettingsVersionCreate,
    KpiSettingsVersionPage,
    KpiSettingsVersionRead,
)

router = APIRouter(
    prefix="/stats/kpi-settings",
    tags=["stats"],
    responses=problem_responses(401, 403, 404),
    route_class=IdempotentRoute,
)

CanRead = require_any(ORDERS_STATS, ORDERS_CONFIG)
CanConfigure = require(ORDERS_CONFIG)
TownId = Annotated[IdParam, Query(description="A town-level org unit (镇/街道)")]


@router.get(
    "",
    dependencies=[CanRead],
    responses={200: {"headers": ETAG_HEADER}},
    summary="KPI settings in force for a town · 现行考核口径",
)
async def get_kpi_settings(
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
    town_id: TownId,
    at: Annotated[Date | None, Query(description="Business day; default today")] = None,
) -> KpiSettingsInForce:
    """The town's latest version effective on ``at``, else the district default
    (``basis.source``). The `ETag` is the town's newest version number."""
    found = await service.settings_in_force(session, principal, town_id, at)
    set_etag(response, found.latest_version)
    return found


@router.get(
    "/versions",
    dependencies=[CanRead],
    summary="KPI settings versions · 考核口径版本",
)
async def list_kpi_settings_versions(
    principal: CurrentPrincipal,
    session: DbSession,
    town_id: Annotated[IdParam | None, Query(description="Only this town's")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> KpiSettingsVersionPage:
    """Newest first, of the towns in the caller's scope."""
    return await service.list_versions(
        session, principal, town_id=town_id, limit=limit, cursor=cursor
    )


@router.post(
    "/versions",
    status_code=201,
    dependencies=[CanConfigure, Idempotent],
    responses=problem_responses(412, 422),
    summary="Add a KPI settings version · 新增考核口径版本",
)
async def create_kpi_settings_version(
    body: KpiSettingsVersionCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> KpiSettingsVersionRead:
    """A complete new version effective from a day (today up to a year ahead); reports
    of periods ending before it keep the version they had. ``If-Match`` (optional) is
    the town's newest version number from `GET /stats/kpi-settings`: stale is 412."""
    created = await service.create_version(session, principal, body, if_match=if_match)
    set_location(request, response, "get_kpi_settings_version", version_id=created.id)
    return created


@router.get(
    "/versions/{version_id}",
    dependencies=[CanRead],
    summary="A KPI settings version · 考核口径版本详情",
)
async def get_kpi_settings_version(
    version_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> KpiSettingsVersionRead:
    return await service.get_version(session, principal, version_id)
