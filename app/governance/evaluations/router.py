"""``/questionnaires`` and ``/evaluations``: residents' evaluations of the property
company and the owners' committee (物业/业委会评议), trends and rankings, with an xlsx
report."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import CurrentPrincipal
from app.db.session import DbSession
from app.governance.common_router import (
    READ,
    UPDATE,
    WRITE,
    CanManage,
    CanRead,
    CanTakePart,
    Cursor,
    Limit,
)
from app.governance.evaluations import questionnaires, results, service, xlsx
from app.governance.evaluations.schemas import (
    EvaluationCreate,
    EvaluationPage,
    EvaluationRanking,
    EvaluationRead,
    EvaluationStatus,
    EvaluationTrend,
    Period,
    QuestionnaireCreate,
    QuestionnairePage,
    QuestionnaireRead,
    ResponseIn,
    ResponseRead,
    TargetKind,
)
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, IfMatchRequired, set_etag, set_location, tagged
from app.kit.pagination import DEFAULT_LIMIT
from app.kit.types import IdParam

router = APIRouter(tags=["evaluations"], route_class=IdempotentRoute)
_XLSX = {
    **READ,
    200: {"content": {xlsx.MEDIA_TYPE: {}}, "description": "The report as a workbook"},
}


@router.post(
    "/questionnaires",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses=WRITE,
    summary="Add a questionnaire · 新建评议问卷",
)
async def create_questionnaire(
    body: QuestionnaireCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> QuestionnaireRead:
    """Items and weights as data, kept by a town or community for the compounds below."""
    result = await questionnaires.create_questionnaire(session, principal, body)
    set_location(request, response, "get_questionnaire", questionnaire_id=result.id)
    return result


@router.get(
    "/questionnaires", dependencies=[CanRead], responses=READ, summary="List questionnaires · 问卷"
)
async def list_questionnaires(
    principal: CurrentPrincipal,
    session: DbSession,
    org_unit_id: Annotated[
        IdParam | None, Query(description="Those that apply at this unit (kept there or above)")
    ] = None,
    target_kind: TargetKind | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> QuestionnairePage:
    return await questionnaires.list_questionnaires(
        session,
        principal,
        org_unit_id=org_unit_id,
        target_kind=target_kind,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/questionnaires/{questionnaire_id}",
    dependencies=[CanRead],
    responses=READ,
    summary="Read a questionnaire · 问卷详情",
)
async def get_questionnaire(
    questionnaire_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> QuestionnaireRead:
    return await questionnaires.get_questionnaire(session, principal, questionnaire_id)


@router.get(
    "/evaluation-ranking",
    dependencies=[CanRead],
    responses=READ,
    summary="Compounds ranked · 评议排名",
)
async def get_evaluation_ranking(
    principal: CurrentPrincipal,
    session: DbSession,
    unit_id: Annotated[IdParam, Query(description="Usually a town")],
    period: Annotated[Period, Query()],
    target_kind: TargetKind = TargetKind.property_company,
) -> EvaluationRanking:
    """The compounds under the unit by overall score for the period (1 = best)."""
    return await results.ranking(session, principal, unit_id, period, target_kind)


@router.get(
    "/compounds/{compound_id}/evaluation-trend",
    dependencies=[CanRead],
    responses=READ,
    summary="A compound's scores over time · 评议趋势",
)
async def get_evaluation_trend(
    compound_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    target_kind: TargetKind = TargetKind.property_company,
) -> EvaluationTrend:
    return await results.trend(session, principal, compound_id, target_kind)


@router.post(
    "/evaluations",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses={**WRITE, 201: {"headers": ETAG_HEADER}},
    summary="Open an evaluation · 发起评议",
)
async def create_evaluation(
    body: EvaluationCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> EvaluationRead:
    """The households of a compound evaluate its property company or owners' committee
    for a period (409 ``evaluation.period_taken`` for a second one)."""
    result = await service.create_evaluation(session, principal, body)
    set_location(request, response, "get_evaluation", evaluation_id=result.id)
    return tagged(response, result)


@router.get(
    "/evaluations", dependencies=[CanRead], responses=READ, summary="List evaluations · 评议"
)
async def list_evaluations(
    principal: CurrentPrincipal,
    session: DbSession,
    org_unit_id: Annotated[
        IdParam | None, Query(description="Only evaluations in this subtree")
    ] = None,
    period: Annotated[Period | None, Query()] = None,
    status: EvaluationStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> EvaluationPage:
    return await service.list_evaluations(
        session,
        principal,
        org_unit_id=org_unit_id,
        period=period,
        status=status,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/evaluations/{evaluation_id}",
    dependencies=[CanRead],
    responses={**READ, 200: {"headers": ETAG_HEADER}},
    summary="Read an evaluation with its scores · 评议结果",
)
async def get_evaluation(
    evaluation_id: IdParam, response: Response, principal: CurrentPrincipal, session: DbSession
) -> EvaluationRead:
    """Per item: answers, sum, mean and score (mean × 20); overall: the weighted mean."""
    evaluation = await service.get_evaluation(session, principal, evaluation_id)
    set_etag(response, evaluation.version)
    return evaluation


@router.get(
    "/evaluations/{evaluation_id}/report.xlsx",
    dependencies=[CanRead],
    response_class=Response,
    responses=_XLSX,
    summary="The evaluation as xlsx with charts · 评议报表导出",
)
async def export_evaluation_report(
    evaluation_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Sheets 总览, 分项得分 (bar chart), 历期趋势 (line chart), 排名 (bar chart)."""
    evaluation, trend, ranking = await results.report(session, principal, evaluation_id)
    name = f"evaluation-{evaluation.id}-{evaluation.period}"
    return Response(
        xlsx.render(evaluation, trend, ranking),
        media_type=xlsx.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@router.post(
    "/evaluations/{evaluation_id}/responses",
    status_code=201,
    dependencies=[CanTakePart, Idempotent],
    responses=WRITE,
    summary="Answer for my household · 参加评议",
)
async def answer_evaluation(
    evaluation_id: IdParam,
    body: ResponseIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> ResponseRead:
    """Every item 1–5, once per household (409 ``evaluation.already_answered``)."""
    return await service.respond(session, principal, evaluation_id, body)


@router.post(
    "/evaluations/{evaluation_id}/close",
    dependencies=[CanManage, Idempotent],
    responses={**UPDATE, 200: {"headers": ETAG_HEADER}},
    summary="Close an evaluation · 结束评议",
)
async def close_evaluation(
    evaluation_id: IdParam,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> EvaluationRead:
    evaluation = await service.close_evaluation(session, principal, evaluation_id, if_match)
    set_etag(response, evaluation.version)
    return evaluation


@router.post(
    "/evaluations/{evaluation_id}/retender",
    dependencies=[CanManage, Idempotent],
    responses=WRITE,
    summary="Open a re-tender matter · 发起重新选聘五议",
)
async def open_retender_matter(
    evaluation_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> EvaluationRead:
    """For a closed evaluation scoring below ``retender_below``: a 五议 matter to
    re-tender the property company (or re-elect the committee) in the compound, linked
    to the evaluation (``retender_matter_id``); 409 when the score is not low."""
    return await service.retender(session, principal, evaluation_id)
