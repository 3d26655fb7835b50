"""Evaluation results over time and space: a compound's trend, a town's ranking, and
what the xlsx report shows."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.principal import Principal
from app.authz.scope import Scope
from app.governance import service as shared
from app.governance.evaluations import repository
from app.governance.evaluations.models import Evaluation, Questionnaire
from app.governance.evaluations.rules import ranks
from app.governance.evaluations.schemas import (
    EvaluationRanking,
    EvaluationRead,
    EvaluationTrend,
    RankingRow,
    TargetKind,
    TrendPoint,
)
from app.governance.evaluations.service import get_evaluation, scores_of


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
