"""Use cases of evaluations (物业/业委会评议): one period's evaluation of a body by a
compound's households, one answer per household, scores, and a low score opening a
五议 matter to re-tender. Questionnaires are ``questionnaires``, trends and rankings
``results``. Services flush, never commit; every write records one audit event.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import GOVERNANCE_MANAGE
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.governance import repository as shared_repository
from app.governance import service as shared
from app.governance.bodies import repository as body_repository
from app.governance.deliberation import service as deliberation
from app.governance.evaluations import questionnaires, repository
from app.governance.evaluations.errors import (
    AlreadyAnswered,
    AnswersIncomplete,
    EvaluationClosed,
    EvaluationNotFound,
    NotClosedYet,
    PeriodTaken,
    QuestionnaireMismatch,
    RetenderOpened,
    ScoreNotLow,
    TargetNotFound,
)
from app.governance.evaluations.models import Evaluation, EvaluationResponse, Questionnaire
from app.governance.evaluations.rules import Item, Scores, score
from app.governance.evaluations.schemas import (
    EvaluationCreate,
    EvaluationPage,
    EvaluationRead,
    EvaluationStatus,
    EvaluationSummary,
    ItemScoreRead,
    ResponseIn,
    ResponseRead,
    ScoresRead,
    TargetKind,
)
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate
from app.people.schemas import business_today

_PERIOD_UNIQUE = "uq_evaluation_org_unit_id_body_id_period"


def items_of(questionnaire: Questionnaire) -> list[Item]:
    return [
        Item(code=i["code"], text=i["text"], weight=int(i["weight"])) for i in questionnaire.items
    ]


def scores_read(scores: Scores) -> ScoresRead:
    return ScoresRead(
        responses=scores.responses,
        overall=scores.overall,
        items=[
            ItemScoreRead(
                code=s.item.code,
                text=s.item.text,
                weight=s.item.weight,
                answers=s.answers,
                total=s.total,
                mean=s.mean,
                score=s.score,
            )
            for s in scores.items
        ],
    )


async def scores_of(
    session: AsyncSession, pairs: Sequence[tuple[Evaluation, Questionnaire]]
) -> dict[int, Scores]:
    sums, responses = await repository.item_sums(session, [e.id for e, _ in pairs])
    return {e.id: score(items_of(q), sums.get(e.id, {}), responses.get(e.id, 0)) for e, q in pairs}


async def _present(session: AsyncSession, evaluation: Evaluation) -> EvaluationRead:
    questionnaire = await repository.any_questionnaire(session, evaluation.questionnaire_id)
    bodies = await body_repository.bodies_by_id(session, [evaluation.body_id])
    assert questionnaire is not None
    body = bodies[evaluation.body_id]
    scores = (await scores_of(session, [(evaluation, questionnaire)]))[evaluation.id]
    skip = {"body_name", "target_kind", "status", "retender_matter_id", "scores"}
    columns = {f: getattr(evaluation, f) for f in EvaluationRead.model_fields if f not in skip}
    return EvaluationRead(
        **columns,
        body_name=body.name,
        target_kind=TargetKind(questionnaire.target_kind),
        status=EvaluationStatus(evaluation.status),
        retender_matter_id=await repository.retender_matter(session, evaluation.id),
        scores=scores_read(scores),
    )


async def _find(
    session: AsyncSession,
    scope: Scope,
    evaluation_id: int,
    *,
    lock: bool = False,
    share: bool = False,
) -> Evaluation:
    found = await repository.get_evaluation(session, evaluation_id, scope, lock=lock, share=share)
    if found is None:
        raise EvaluationNotFound()
    return found


async def create_evaluation(
    session: AsyncSession, principal: Principal, data: EvaluationCreate
) -> EvaluationRead:
    """The households of a compound the caller manages evaluate a body for a period; a
    property company's evaluation is tied to its contract in force for the compound."""
    compound = await shared.compound(session, principal.scope(GOVERNANCE_MANAGE), data.org_unit_id)
    readable = await shared.reader_scope(session, principal)
    questionnaire = await questionnaires.applicable(session, principal, data.questionnaire_id)
    q_unit = await shared.unit(session, Scope.everything(), questionnaire.org_unit_id)
    body = await body_repository.get_body(session, data.body_id, readable)
    if body is None or body.kind not in {k.value for k in TargetKind}:
        raise TargetNotFound()
    if body.kind != questionnaire.target_kind or not Scope.of([(q_unit.level, q_unit.id)]).covers(
        compound
    ):
        raise QuestionnaireMismatch()
    contract = await body_repository.current_contract(
        session, body.id, Scope.of([("grid", compound.id)]), business_today()
    )
    evaluation = Evaluation(
        org_unit_id=compound.id,
        questionnaire_id=questionnaire.id,
        body_id=body.id,
        contract_id=contract.id if contract else None,
        period=data.period,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        status=EvaluationStatus.open.value,
        eligible_households=await shared_repository.count_households(session, compound),
        retender_below=data.retender_below,
        version=1,
        **shared.place_of(compound),
    )
    if not await repository.add(session, evaluation, unique=_PERIOD_UNIQUE):
        raise PeriodTaken()
    await shared.record(
        session,
        principal,
        "evaluation.create",
        ("evaluation", evaluation.id),
        f"「{compound.name}」{data.period} 评议「{body.name}」",
        evaluation,
    )
    return await _present(session, evaluation)


async def get_evaluation(
    session: AsyncSession, principal: Principal, evaluation_id: int
) -> EvaluationRead:
    scope = await shared.reader_scope(session, principal)
    return await _present(session, await _find(session, scope, evaluation_id))


async def list_evaluations(
    session: AsyncSession,
    principal: Principal,
    *,
    org_unit_id: int | None,
    period: str | None,
    status: EvaluationStatus | None,
    limit: int,
    cursor: str | None,
) -> EvaluationPage:
    scope = await shared.reader_scope(session, principal)
    where: list[ColumnElement[bool]] = [scope.clause(Evaluation)]
    if org_unit_id is not None:
        unit = await shared.unit(session, scope, org_unit_id)
        where.append(Scope.of([(unit.level, unit.id)]).clause(Evaluation))
    if period is not None:
        where.append(Evaluation.period == period)
    if status is not None:
        where.append(Evaluation.status == status.value)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.evaluation_page(session, where, before=after, limit=n),
        lambda e: e.id,
    )
    pairs = []
    for evaluation in items:
        questionnaire = await repository.any_questionnaire(session, evaluation.questionnaire_id)
        assert questionnaire is not None
        pairs.append((evaluation, questionnaire))
    scores = await scores_of(session, pairs)
    return EvaluationPage(
        items=[
            EvaluationSummary(
                id=e.id,
                org_unit_id=e.org_unit_id,
                body_id=e.body_id,
                period=e.period,
                status=EvaluationStatus(e.status),
                responses=scores[e.id].responses,
                overall=scores[e.id].overall,
            )
            for e in items
        ],
        next_cursor=next_cursor,
    )


async def respond(
    session: AsyncSession, principal: Principal, evaluation_id: int, data: ResponseIn
) -> ResponseRead:
    """One answer per household of the compound, within the window, every item 1–5."""
    scope = await shared.participation_scope(session, principal)
    evaluation = await _find(session, scope, evaluation_id, share=True)
    now = datetime.now(UTC)
    if evaluation.status != EvaluationStatus.open or not (
        evaluation.opens_at <= now < evaluation.closes_at
    ):
        raise EvaluationClosed()
    questionnaire = await repository.any_questionnaire(session, evaluation.questionnaire_id)
    assert questionnaire is not None
    if set(data.answers) != {i.code for i in items_of(questionnaire)}:
        raise AnswersIncomplete()
    resident = await shared.resident_of(session, principal, evaluation)
    row = await repository.add_response(
        session,
        EvaluationResponse(
            evaluation_id=evaluation.id,
            household_key=resident.household,
            respondent_person_id=resident.person.id,
            answers=dict(data.answers),
            comment=data.comment,
        ),
    )
    if row is None:
        raise AlreadyAnswered()
    await shared.record(
        session,
        principal,
        "evaluation.respond",
        ("evaluation", evaluation.id),
        f"评议 #{evaluation.id} 住户作答",
        evaluation,
    )
    return ResponseRead(
        evaluation_id=evaluation.id,
        answers=row.answers,
        comment=row.comment,
        submitted_at=row.submitted_at,
    )


async def close_evaluation(
    session: AsyncSession, principal: Principal, evaluation_id: int, if_match: str | None
) -> EvaluationRead:
    evaluation = await _find(session, principal.scope(GOVERNANCE_MANAGE), evaluation_id, lock=True)
    check_version(if_match, evaluation.version)
    if evaluation.status != EvaluationStatus.open:
        raise EvaluationClosed()
    evaluation.status = EvaluationStatus.closed.value
    evaluation.version += 1
    await repository.refresh(session, evaluation)
    await shared.record(
        session,
        principal,
        "evaluation.close",
        ("evaluation", evaluation.id),
        f"评议 #{evaluation.id} 结束",
        evaluation,
    )
    return await _present(session, evaluation)


async def retender(
    session: AsyncSession, principal: Principal, evaluation_id: int
) -> EvaluationRead:
    """A closed evaluation scoring below its line opens a 五议 matter: re-tender the
    property company (重新选聘) or re-elect the committee (换届改选)."""
    evaluation = await _find(session, principal.scope(GOVERNANCE_MANAGE), evaluation_id, lock=True)
    if evaluation.status != EvaluationStatus.closed:
        raise NotClosedYet()
    if await repository.retender_matter(session, evaluation.id) is not None:
        raise RetenderOpened()
    read = await _present(session, evaluation)
    overall = read.scores.overall
    if overall is None or overall >= Decimal(evaluation.retender_below):
        raise ScoreNotLow()
    compound = await shared.compound(session, Scope.everything(), evaluation.org_unit_id)
    what = (
        "重新选聘物业服务企业"
        if read.target_kind is TargetKind.property_company
        else "业委会换届改选"
    )
    await deliberation.propose_as_staff(
        session,
        principal,
        compound,
        f"{what}（{read.body_name}）",
        f"{evaluation.period} 评议综合得分 {overall}，低于 {evaluation.retender_below} 分；"
        f"{read.scores.responses} 户参评。提请五议。",
        source_evaluation_id=evaluation.id,
    )
    return await _present(session, evaluation)
