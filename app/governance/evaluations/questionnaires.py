"""Questionnaires (评议问卷): items and weights as data, kept by a town or community and
applying to the compounds below."""

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import GOVERNANCE_MANAGE
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.governance import repository as shared_repository
from app.governance import service as shared
from app.governance.evaluations import repository
from app.governance.evaluations.errors import QuestionnaireNotFound
from app.governance.evaluations.models import Questionnaire
from app.governance.evaluations.schemas import (
    QuestionnaireCreate,
    QuestionnairePage,
    QuestionnaireRead,
    TargetKind,
)
from app.kit.pagination import BY_ID, paginate


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


async def applicable(
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
    return QuestionnaireRead.model_validate(await applicable(session, principal, questionnaire_id))


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
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.questionnaire_page(session, where, after=after, limit=n),
        lambda q: q.id,
    )
    return QuestionnairePage(
        items=[QuestionnaireRead.model_validate(q) for q in items], next_cursor=next_cursor
    )
