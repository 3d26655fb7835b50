"""Use cases of evaluations (物业/业委会评议): questionnaires as data, one period's
evaluation of a body by a compound's households, one answer per household, scores,
trends, a town's ranking, and a low score opening a 五议 matter to re-tender.
Services flush, never commit; every write records one audit event.
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
from app.governance.evaluations import repository
from app.governance.evaluations.errors import (
    AlreadyAnswered,
    AnswersIncomplete,
    EvaluationClosed,
    EvaluationNotFound,
    NotClosedYet,
    PeriodTaken,
    QuestionnaireMismatch,
    QuestionnaireNotFound,
    RetenderOpened,
    ScoreNotLow,
    TargetNotFound,
)
from app.governance.evaluations.models import Evaluation, EvaluationResponse, Questionnaire
from app.governance.evaluations.rules import Item, Scores, ranks, score
from app.governance.evaluations.schemas import (
    EvaluationCreate,
    EvaluationPage,
    EvaluationRanking,
    EvaluationRead,
    EvaluationStatus,
    EvaluationSummary,
    EvaluationTrend,
    ItemScoreRead,
    QuestionnaireCreate,
    QuestionnairePage,
    QuestionnaireRead,
    RankingRow,
    ResponseIn,
    ResponseRead,
    ScoresRead,
    TargetKind,
    TrendPoint,
)
from app.kit.etag import check_version
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


# ---------------------------------------------------------------- questionnaires


async def create_questionnaire(
    session: AsyncSession, principal: Principal, data: QuestionnaireCreate
) -> QuestionnaireRead:
    """Kept by a town or community; it applies to the compounds below."""
    unit = await shared.unit(session, principal.scope(GOVERNANCE_MANAGE), data.org_unit_id)
    questionnaire = Questionnaire(
        org_unit_id=unit.id,
        target_kind=data.target_kind.value,
        title=data.title,
        items=[i.model_dump() for i in data.items],
        is_active=True,
        **shared.place_of(unit),
    )
    await repository.add(session, questionnaire)
    await shared.record(
        session,
        principal,
        "questionnaire.create",
        ("questionnaire", questionnaire.id),
        f"在「{unit.name}」新建评议问卷「{questionnaire.title}」",
        questionnaire,
    )
    return QuestionnaireRead.model_validate(questionnaire)


async def _applicable(
    session: AsyncSession, principal: Principal, questionnaire_id: int
) -> Questionnaire:
    """A questionnaire applies to the subtree of its node: whoever reads a node in that
    subtree (a community's staff, a compound's residents) reads the town's questionnaire."""
    found = await repository.any_questionnaire(session, questionnaire_id)
    if found is None:
        raise QuestionnaireNotFound()
    scope = await shared.reader_scope(session, principal)
    if scope.covers(found):
        return found
    keeper = await shared_repository.units_by_id(session, [found.org_unit_id])
    below = Scope.of([(u.level, u.id) for u in keeper.values()])
    nodes = await shared_repository.units_by_id(session, [node for _, node in scope.nodes])
    if not any(below.covers(node) for node in nodes.values()):
        raise QuestionnaireNotFound()
    return found


async def get_questionnaire(
    session: AsyncSession, principal: Principal, questionnaire_id: int
) -> QuestionnaireRead:
    return QuestionnaireRead.model_validate(await _applicable(session, principal, questionnaire_id))


async def list_questionnaires(
    session: AsyncSession,
    principal: Principal,
    *,
    org_unit_id: int | None,
    target_kind: TargetKind | None,
    limit: int,
    cursor: str | None,
) -> QuestionnairePage:
    """Those kept in the caller's subtrees; with ``org_unit_id``, those that apply there
    (kept at the unit or one of its ancestors)."""
    scope = await shared.reader_scope(session, principal)
    where: list[ColumnElement[bool]] = []
    if org_unit_id is None:
        where.append(scope.clause(Questionnaire))
    else:
        unit = await shared.unit(session, scope, org_unit_id)
        chain = [i for i in shared.place_of(unit).values() if i is not None]
        where.append(Questionnaire.org_unit_id.in_(chain))
    if target_kind is not None:
        where.append(Questionnaire.target_kind == target_kind.value)
    rows = await repository.questionnaire_page(
        session, where, after=shared.after_id(cursor), limit=limit
    )
    items, next_cursor = shared.page_of(rows, limit, lambda q: q.id)
    return QuestionnairePage(
        items=[QuestionnaireRead.model_validate(q) for q in items], next_cursor=next_cursor
    )


# ---------------------------------------------------------------- evaluations


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
    session: AsyncSession, scope: Scope, evaluation_id: int, *, lock: bool = False
) -> Evaluation:
    found = await repository.get_evaluation(session, evaluation_id, scope, lock=lock)
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
    questionnaire = await _applicable(session, principal, data.questionnaire_id)
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
    rows = await repository.evaluation_page(
        session, where, before=shared.after_id(cursor), limit=limit
    )
    items, next_cursor = shared.page_of(rows, limit, lambda e: e.id)
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
    evaluation = await _find(session, scope, evaluation_id)
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


# ---------------------------------------------------------------- trends and rankings


async def trend(
    session: AsyncSession, principal: Principal, compound_id: int, target_kind: TargetKind
) -> EvaluationTrend:
    """The compound's evaluations of that kind of body, oldest period first."""
    compound = await shared.compound(
        session, await shared.reader_scope(session, principal), compound_id
    )
    rows = await repository.evaluations_with(
        session,
        [
            Scope.of([("grid", compound.id)]).clause(Evaluation),
            Questionnaire.target_kind == target_kind.value,
        ],
    )
    scores = await scores_of(session, [(e, q) for e, _, q, _ in rows])
    return EvaluationTrend(
        compound_id=compound.id,
        target_kind=target_kind,
        points=[
            TrendPoint(
                evaluation_id=e.id,
                period=e.period,
                body_id=b.id,
                body_name=b.name,
                responses=scores[e.id].responses,
                overall=scores[e.id].overall,
                items={s.item.code: s.score for s in scores[e.id].items},
            )
            for e, b, _, _ in rows
        ],
    )


async def ranking(
    session: AsyncSession,
    principal: Principal,
    unit_id: int,
    period: str,
    target_kind: TargetKind,
) -> EvaluationRanking:
    """The compounds under the unit (a town, usually) ranked by overall score for the
    period; compounds without answers come last, unranked."""
    unit = await shared.unit(session, await shared.reader_scope(session, principal), unit_id)
    rows = await repository.evaluations_with(
        session,
        [
            Scope.of([(unit.level, unit.id)]).clause(Evaluation),
            Evaluation.period == period,
            Questionnaire.target_kind == target_kind.value,
        ],
    )
    scores = await scores_of(session, [(e, q) for e, _, q, _ in rows])
    ordered = sorted(
        rows,
        key=lambda r: (scores[r[0].id].overall is None, -(scores[r[0].id].overall or 0), r[0].id),
    )
    places = ranks([scores[e.id].overall for e, _, _, _ in ordered])
    return EvaluationRanking(
        unit_id=unit.id,
        unit_name=unit.name,
        period=period,
        target_kind=target_kind,
        rows=[
            RankingRow(
                rank=place,
                compound_id=c.id,
                compound_name=c.name,
                evaluation_id=e.id,
                body_id=b.id,
                body_name=b.name,
                responses=scores[e.id].responses,
                eligible_households=e.eligible_households,
                overall=scores[e.id].overall,
            )
            for (e, b, _, c), place in zip(ordered, places, strict=True)
        ],
    )


async def report(
    session: AsyncSession, principal: Principal, evaluation_id: int
) -> tuple[EvaluationRead, EvaluationTrend, EvaluationRanking]:
    """What the xlsx report shows: the evaluation, its compound's trend, and the
    ranking of the town's compounds for the same period."""
    evaluation = await get_evaluation(session, principal, evaluation_id)
    kind = evaluation.target_kind
    history = await trend(session, principal, evaluation.org_unit_id, kind)
    readable = await shared.reader_scope(session, principal)
    reaches_town = readable.unrestricted or ("town", evaluation.town_id) in readable.nodes
    unit_id = (
        evaluation.town_id if reaches_town else (evaluation.community_id or evaluation.org_unit_id)
    )
    table = await ranking(session, principal, unit_id, evaluation.period, kind)
    return evaluation, history, table
