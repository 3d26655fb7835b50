"""``/api/v1/stats``: KPI reports (接诉即办 三率) over a subtree and a period."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.authz.deps import CurrentPrincipal, require
from app.authz.permissions import ORDERS_STATS
from app.db.session import ReadSession
from app.kit.schemas import problem_responses
from app.kit.types import Date, IdParam
from app.reporting import service, xlsx
from app.reporting.schemas import OrderStats, ReportFormat

router = APIRouter(prefix="/stats", tags=["stats"], responses=problem_responses(401, 403, 404))

CanReadStats = require(ORDERS_STATS)
UnitId = Annotated[
    IdParam | None,
    Query(description="The subtree's root; default: the highest node the caller sees"),
]
DateFrom = Annotated[
    Date | None,
    Query(alias="from", description="First business day (Asia/Shanghai); default: to − 29 days"),
]
DateTo = Annotated[
    Date | None, Query(alias="to", description="Last business day, inclusive; default: today")
]
_XLSX: dict[int | str, dict[str, Any]] = {
    200: {"content": {xlsx.MEDIA_TYPE: {}}, "description": "The report"}
}


def _download(stats: OrderStats) -> Response:
    name = (
        f"order-stats-{stats.unit.id}-{stats.period.from_date:%Y%m%d}-{stats.period.to_date:%Y%m%d}"
    )
    return Response(
        xlsx.render(stats),
        media_type=xlsx.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@router.get(
    "/orders",
    dependencies=[CanReadStats],
    response_model=OrderStats,
    responses=_XLSX,
    summary="Service-order KPIs of a subtree · 接诉即办考核指标",
)
async def get_order_stats(
    principal: CurrentPrincipal,
    session: ReadSession,
    unit_id: UnitId = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    report_format: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.json,
) -> Response | OrderStats:
    """Totals by status, 响应率, 解决率, 满意率, mean hours to accept and to resolve, overdue
    and escalated counts of the orders received in the period under the unit — overall,
    by category and by child node (ranked). Exclusions and answer credits are the KPI
    settings in force in the unit's town on the period's last day (its own version, else
    the district default: ``/stats/kpi-settings``); ``definitions`` states the formulas
    with the values used and names that version (``settings_basis``).
    ``format=xlsx`` downloads the same report as a workbook."""
    stats = await service.order_stats(
        session, principal, unit_id=unit_id, date_from=date_from, date_to=date_to
    )
    return _download(stats) if report_format is ReportFormat.xlsx else stats


@router.get(
    "/orders.xlsx",
    dependencies=[CanReadStats],
    response_class=Response,
    responses=_XLSX,
    summary="Service-order KPIs as xlsx · 接诉即办考核指标导出",
)
async def export_order_stats(
    principal: CurrentPrincipal,
    session: ReadSession,
    unit_id: UnitId = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Response:
    """The report of ``GET /stats/orders`` as a workbook: sheets 总览 (overview and
    definitions), 按类别 (by category) and 按下级 (by child node, ranked)."""
    stats = await service.order_stats(
        session, principal, unit_id=unit_id, date_from=date_from, date_to=date_to
    )
    return _download(stats)
