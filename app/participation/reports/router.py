"""``/participation-reports``: service hours (服务时长) and the 双考评, as JSON or xlsx."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.authz.deps import CurrentPrincipal, require_any
from app.authz.permissions import PARTICIPATION_JOIN, PARTICIPATION_READ
from app.db.session import DbSession
from app.kit.schemas import problem_responses
from app.kit.types import Date, IdParam
from app.participation.reports import service, xlsx
from app.participation.reports.schemas import (
    DualEvaluation,
    GroupBy,
    ServiceHours,
    VolunteerRecord,
)
from app.reporting.schemas import ReportFormat

router = APIRouter(
    prefix="/participation-reports",
    tags=["participation-reports"],
    responses=problem_responses(401, 403, 404, 422),
)

CanRead = require_any(PARTICIPATION_READ)
Anyone = require_any(PARTICIPATION_JOIN, PARTICIPATION_READ)
UnitId = Annotated[
    IdParam | None,
    Query(description="The subtree's root; default: the highest node the caller reads"),
]
DateFrom = Annotated[
    Date | None,
    Query(alias="from", description="First business day (Asia/Shanghai); default: to − 29 days"),
]
DateTo = Annotated[
    Date | None, Query(alias="to", description="Last business day, inclusive; default: today")
]
Format = Annotated[ReportFormat, Query(alias="format")]
_XLSX: dict[int | str, dict[str, Any]] = {
    200: {"content": {xlsx.MEDIA_TYPE: {}}, "description": "The report"}
}


def _download(content: bytes, name: str) -> Response:
    return Response(
        content,
        media_type=xlsx.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@router.get(
    "/dual-evaluation",
    dependencies=[CanRead],
    response_model=DualEvaluation,
    responses=_XLSX,
    summary="双考评 of units and communities · 双考评",
)
async def get_dual_evaluation(
    principal: CurrentPrincipal,
    session: DbSession,
    unit_id: UnitId = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    report_format: Format = ReportFormat.json,
) -> Response | DualEvaluation:
    """At a town or community: per unit (registered or paired under it) its roster,
    registrations, 报到率, 活跃率, hours, points and matters solved; per community its
    expected and registered members, 报到率, 活跃率 and their service there. The
    formulas are in ``formulas``. ``format=xlsx`` downloads the workbook."""
    report = await service.dual_evaluation(
        session, principal, unit_id=unit_id, date_from=date_from, date_to=date_to
    )
    if report_format is ReportFormat.xlsx:
        name = f"dual-evaluation-{report.unit.id}-{report.period.from_date:%Y%m%d}"
        return _download(xlsx.render_evaluation(report), name)
    return report


@router.get(
    "/service-hours",
    dependencies=[CanRead],
    response_model=ServiceHours,
    responses=_XLSX,
    summary="Service hours per person, team or node · 服务时长统计",
)
async def get_service_hours(
    principal: CurrentPrincipal,
    session: DbSession,
    unit_id: UnitId = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    group_by: GroupBy = GroupBy.person,
    report_format: Format = ReportFormat.json,
) -> Response | ServiceHours:
    """Attendances, people, hours and points of the activities under the unit that
    started in the period, per person, per team (its members) or per child node."""
    report = await service.service_hours(
        session,
        principal,
        unit_id=unit_id,
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
    )
    if report_format is ReportFormat.xlsx:
        name = f"service-hours-{report.unit.id}-{report.group_by.value}"
        return _download(xlsx.render_hours(report), name)
    return report


@router.get(
    "/service-hours/me",
    dependencies=[Anyone],
    response_model=VolunteerRecord,
    responses=_XLSX,
    summary="My service record · 我的服务时长",
)
async def get_my_service_record(
    principal: CurrentPrincipal,
    session: DbSession,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    report_format: Format = ReportFormat.json,
) -> Response | VolunteerRecord:
    record = await service.volunteer_record(
        session, principal, None, date_from=date_from, date_to=date_to
    )
    if report_format is ReportFormat.xlsx:
        return _download(xlsx.render_record(record), f"service-record-{record.person_id}")
    return record


@router.get(
    "/service-hours/people/{person_id}",
    dependencies=[CanRead],
    response_model=VolunteerRecord,
    responses=_XLSX,
    summary="A volunteer's service record · 志愿者服务时长记录",
)
async def get_service_record(
    person_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    report_format: Format = ReportFormat.json,
) -> Response | VolunteerRecord:
    """Activities attended (voided ones marked, not counted) and 微心愿 fulfilled."""
    record = await service.volunteer_record(
        session, principal, person_id, date_from=date_from, date_to=date_to
    )
    if report_format is ReportFormat.xlsx:
        return _download(xlsx.render_record(record), f"service-record-{record.person_id}")
    return record
