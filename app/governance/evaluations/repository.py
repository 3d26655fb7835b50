"""All SQL of questionnaires and evaluations. Visibility comes only from ``Scope.clause``.

Scores are aggregated in PostgreSQL: the sum and count of every item's answers
(``jsonb_each_text`` over each household's answer), per evaluation.
"""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Integer, Row, cast, func, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.governance.bodies.models import PartnerBody
from app.governance.deliberation.models import Matter
from app.governance.evaluations.models import Evaluation, EvaluationResponse, Questionnaire
from app.hierarchy.models import OrgUnit


async def add(session: AsyncSession, row: object, *, unique: str | None = None) -> bool:
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        if unique is not None and unique in str(exc.orig):
            return False
        raise
    await session.refresh(row)
    return True


async def refresh(session: AsyncSession, row: object) -> None:
    await session.flush()
    await session.refresh(row)


async def any_questionnaire(session: AsyncSession, questionnaire_id: int) -> Questionnaire | None:
    return await session.get(Questionnaire, questionnaire_id)


async def questionnaire_page(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], *, after: int | None, limit: int
) -> Sequence[Questionnaire]:
    query = select(Questionnaire).where(*where).order_by(Questionnaire.id).limit(limit)
    if after is not None:
        query = query.where(Questionnaire.id > after)
    return (await session.scalars(query)).all()


async def get_evaluation(
    session: AsyncSession,
    evaluation_id: int,
    scope: Scope,
    *,
    lock: bool = False,
    share: bool = False,
) -> Evaluation | None:
    """``share``: FOR SHARE for an answer, so closing (FOR UPDATE) and answering order."""
    query = select(Evaluation).where(Evaluation.id == evaluation_id, scope.clause(Evaluation))
    if lock or share:
        query = query.with_for_update(read=share and not lock).execution_options(
            populate_existing=True
        )
    return (await session.execute(query)).scalar_one_or_none()


async def evaluation_page(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], *, before: int | None, limit: int
) -> Sequence[Evaluation]:
    query = select(Evaluation).where(*where).order_by(Evaluation.id.desc()).limit(limit)
    if before is not None:
        query = query.where(Evaluation.id < before)
    return (await session.scalars(query)).all()


async def evaluations_with(
    session: AsyncSession, where: Sequence[ColumnElement[bool]]
) -> Sequence[Row[Evaluation, PartnerBody, Questionnaire, OrgUnit]]:
    """Evaluations with their body, questionnaire and compound, oldest first."""
    query = (
        select(Evaluation, PartnerBody, Questionnaire, OrgUnit)
        .join(PartnerBody, PartnerBody.id == Evaluation.body_id)
        .join(Questionnaire, Questionnaire.id == Evaluation.questionnaire_id)
        .join(OrgUnit, OrgUnit.id == Evaluation.org_unit_id)
        .where(*where)
        .order_by(Evaluation.opens_at, Evaluation.id)
    )
    return (await session.execute(query)).all()


async def add_response(
    session: AsyncSession, response: EvaluationResponse
) -> EvaluationResponse | None:
    """The household's one answer; None when it already answered."""
    statement = (
        insert(EvaluationResponse)
        .values(
            evaluation_id=response.evaluation_id,
            household_key=response.household_key,
            respondent_person_id=response.respondent_person_id,
            answers=response.answers,
            comment=response.comment,
        )
        .on_conflict_do_nothing(index_elements=["evaluation_id", "household_key"])
        .returning(EvaluationResponse)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def item_sums(
    session: AsyncSession, evaluation_ids: Sequence[int]
) -> tuple[dict[int, dict[str, tuple[int, int]]], dict[int, int]]:
    """Per evaluation: item code → (sum of answers, answers), and the responses."""
    if not evaluation_ids:
        return {}, {}
    answer = func.jsonb_each_text(EvaluationResponse.answers).table_valued("key", "value")
    sums_query = (
        select(
            EvaluationResponse.evaluation_id,
            answer.c.key,
            func.sum(cast(answer.c.value, Integer)),
            func.count(),
        )
        .select_from(EvaluationResponse)
        .join(answer, true())
        .where(EvaluationResponse.evaluation_id.in_(evaluation_ids))
        .group_by(EvaluationResponse.evaluation_id, answer.c.key)
    )
    sums: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for evaluation_id, key, total, count in (await session.execute(sums_query)).all():
        sums[evaluation_id][key] = (int(total), int(count))
    count_query = (
        select(EvaluationResponse.evaluation_id, func.count())
        .where(EvaluationResponse.evaluation_id.in_(evaluation_ids))
        .group_by(EvaluationResponse.evaluation_id)
    )
    responses = {eid: int(n) for eid, n in (await session.execute(count_query)).all()}
    return dict(sums), responses


async def retender_matter(session: AsyncSession, evaluation_id: int) -> int | None:
    query = select(Matter.id).where(Matter.source_evaluation_id == evaluation_id).limit(1)
    return (await session.execute(query)).scalar_one_or_none()
