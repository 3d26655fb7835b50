"""``/api/v1/stats/bulletins``: 通报, weekly and monthly bulletins of a town, as
published snapshots (JSON, or xlsx with charts). Handlers stay thin."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import CurrentPrincipal, require
from app.authz.permissions import ORDERS_STATS
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import set_location
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.kit.schemas import problem_responses
from app.kit.types import IdParam
from app.reporting.bulletins import service, xlsx
from app.reporting.bulletins.schemas import (
    BulletinCreate,
    BulletinKind,
    BulletinPage,
    BulletinRead,
)

router = APIRouter(
    prefix="/stats/bulletins",
    tags=["stats"],
    responses=problem_responses(401, 403, 404),
    route_class=IdempotentRoute,
)

CanReadStats = require(ORDERS_STATS)
_XLSX: dict[int | str, dict[str, Any]] = {
    200: {"content": {xlsx.MEDIA_TYPE: {}}, "description": "The bulletin as a workbook"}
}


@router.get("", dependencies=[CanReadStats], summary="Bulletins · 通报列表")
async def list_bulletins(
    principal: CurrentPrincipal,
    session: DbSession,
    town_id: Annotated[IdParam | None, Query(description="Only this town's")] = None,
    kind: Annotated[BulletinKind | None, Query(description="weekly or monthly")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> BulletinPage:
    """Newest first, of the towns where the caller holds ``orders.stats``."""
    return await service.list_bulletins(
        session, principal, town_id=town_id, kind=kind, limit=limit, cursor=cursor
    )


@router.post(
    "",
    status_code=201,
    dependencies=[CanReadStats, Idempotent],
    responses={
        200: {"model": BulletinRead, "description": "Published before: the stored snapshot"},
        **problem_responses(422),
    },
    summary="Publish a bulletin now · 生成通报",
)
async def create_bulletin(
    body: BulletinCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> BulletinRead:
    """The town's bulletin of a finished week or month (the worker publishes them every
    hour anyway): 201 when computed now, 200 with the stored one when it was published
    before — a bulletin never changes once published. A period that has not ended, or
    that does not start on a Monday (weekly) or the 1st (monthly), is 422
    ``stats.invalid_period``."""
    published = await service.publish_on_request(session, principal, body)
    if not published.created:
        response.status_code = 200
    set_location(request, response, "get_bulletin", bulletin_id=published.bulletin.id)
    return published.bulletin


@router.get("/{bulletin_id}", dependencies=[CanReadStats], summary="A bulletin · 通报详情")
async def get_bulletin(
    bulletin_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> BulletinRead:
    """As published: the 三率 ranking of communities and grids, overdue orders, the
    most-seconded orders, and the definitions (which KPI settings version applied)."""
    return await service.get_bulletin(session, principal, bulletin_id)


@router.get(
    "/{bulletin_id}/xlsx",
    dependencies=[CanReadStats],
    response_class=Response,
    responses=_XLSX,
    summary="A bulletin as xlsx · 通报导出",
)
async def export_bulletin(
    bulletin_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Sheets 总览, 社区排名 and 网格排名 (each with a bar chart of 满意率, 解决率 and
    响应率), 超期工单 and 附议最多."""
    bulletin = await service.get_bulletin(session, principal, bulletin_id)
    return Response(
        xlsx.render(bulletin),
        media_type=xlsx.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{xlsx.filename(bulletin)}"'},
    )
