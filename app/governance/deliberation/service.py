"""五议 matters: reading them, proposing (提议), and the machinery every step shares.
The staff steps are ``steps``, the households' vote and ratings ``voting``. Services
flush, never commit.

A step is looked up in the transition table (``workflow.next_status``), never decided
here; each step bumps the version, appends to the matter's history and publishes
``matter.<step>`` to the outbox, all in the caller's transaction.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import GOVERNANCE_MANAGE
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.governance import repository as shared_repository
from app.governance import service as shared
from app.governance.bodies import repository as body_repository
from app.governance.deliberation import repository
from app.governance.deliberation.errors import (
    InvalidTransition,
    MatterNotFound,
    ProposerBodyNotFound,
)
from app.governance.deliberation.models import Matter, MatterEvent
from app.governance.deliberation.rules import VoteResult, average
from app.governance.deliberation.schemas import (
    MatterCreate,
    MatterEventPage,
    MatterEventRead,
    MatterPage,
    MatterRead,
    MatterSummary,
    PositionRead,
    ProposerKind,
    ProposerRead,
    ReviewRead,
    VoteRead,
)
from app.governance.deliberation.workflow import (
    STAGE,
    IllegalStep,
    MatterStatus,
    MatterStep,
    allowed_steps,
    next_status,
)
from app.hierarchy.models import OrgUnit
from app.integrations.events import publish
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- shared by the steps


async def find(
    session: AsyncSession,
    scope: Scope,
    matter_id: int,
    *,
    lock: bool = False,
    share: bool = False,
    if_match: str | None = None,
) -> Matter:
    """The matter ``scope`` admits (else 404), with the optional If-Match check (412)."""
    matter = await repository.get_matter(session, matter_id, scope, lock=lock, share=share)
    if matter is None:
        raise MatterNotFound()
    if if_match is not None:
        check_version(if_match, matter.version)
    return matter


def check_step(matter: Matter, step: MatterStep) -> MatterStatus:
    try:
        return next_status(MatterStatus(matter.status), step)
    except IllegalStep as illegal:
        raise InvalidTransition(
            f"事项状态为 {illegal.status.value}，不能执行 {step.value}",
            f"Step {step.value} is not allowed from status {illegal.status.value}",
            current_status=illegal.status.value,
            step=step.value,
            allowed_steps=[s.value for s in allowed_steps(illegal.status)],
        ) from None


async def advance(
    session: AsyncSession,
    principal: Principal,
    matter: Matter,
    step: MatterStep,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    **changes: Any,
) -> None:
    """Take ``step`` on a locked matter: transition, changes, version, history, event."""
    before = matter.status
    target = check_step(matter, step)
    for column, value in changes.items():
        setattr(matter, column, value)
    matter.status = target.value
    matter.version += 1
    await record(session, principal, matter, step, before, note=note, data=data)


async def record(
    session: AsyncSession,
    principal: Principal,
    matter: Matter,
    step: MatterStep,
    from_status: str | None,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """History entry, outbox event and audit record of a step just taken."""
    event = MatterEvent(
        matter_id=matter.id,
        step=step.value,
        from_status=from_status,
        to_status=matter.status,
        actor_user_id=principal.user_id,
        actor_name=principal.display_name[:64],
        note=note,
        data=data or {},
        occurred_at=utcnow(),
    )
    await repository.add(session, event)
    await publish(
        session,
        f"matter.{step.value}",
        aggregate_type="matter",
        aggregate_id=matter.id,
        payload={
            "matter_id": matter.id,
            "step": step.value,
            "from_status": from_status,
            "status": matter.status,
            "result": matter.result,
            "town_id": matter.town_id,
            "community_id": matter.community_id,
            "grid_id": matter.grid_id,
            "occurred_at": event.occurred_at.isoformat(),
            "data": event.data,
        },
        place=matter,
    )
    await shared.record(
        session,
        principal,
        f"matter.{step.value}",
        ("matter", matter.id),
        f"事项 #{matter.id}：{step.value}（{from_status or '-'} → {matter.status}）",
        matter,
    )


async def present(session: AsyncSession, matter: Matter) -> MatterRead:
    status = MatterStatus(matter.status)
    positions = await repository.positions_of(session, matter.id)
    columns = {
        name: getattr(matter, name)
        for name in MatterRead.model_fields
        if name
        not in {"status", "stage", "allowed_steps", "proposer", "positions", "vote", "review"}
    }
    return MatterRead(
        **columns,
        status=status,
        stage=STAGE[status],
        allowed_steps=list(allowed_steps(status)),
        proposer=ProposerRead(
            kind=ProposerKind(matter.proposer_kind),
            person_id=matter.proposer_person_id,
            body_id=matter.proposer_body_id,
        ),
        positions=[PositionRead.model_validate(p) for p in positions],
        vote=await _vote(session, matter),
        review=await _review(session, matter),
    )


async def _vote(session: AsyncSession, matter: Matter) -> VoteRead | None:
    if matter.vote_opens_at is None or matter.vote_closes_at is None:
        return None
    assert matter.quorum_percent is not None and matter.threshold_percent is not None
    ballots = matter.ballots
    if ballots is None:
        ballots = await repository.count_ballots(session, matter.id)
    return VoteRead(
        quorum_percent=matter.quorum_percent,
        threshold_percent=matter.threshold_percent,
        opens_at=matter.vote_opens_at,
        closes_at=matter.vote_closes_at,
        eligible_households=matter.eligible_households or 0,
        ballots=ballots,
        yes=matter.yes_votes,
        no=matter.no_votes,
        abstain=matter.abstentions,
        result=VoteResult(matter.result) if matter.result else None,
        decided_at=matter.decided_at,
    )


async def _review(session: AsyncSession, matter: Matter) -> ReviewRead | None:
    if matter.implemented_at is None:
        return None
    if matter.ratings is not None:
        return ReviewRead(ratings=matter.ratings, average=matter.rating_average)
    count, total = await repository.rating_summary(session, matter.id)
    return ReviewRead(ratings=count, average=average(total, count))


# ---------------------------------------------------------------- 提议


async def propose(session: AsyncSession, principal: Principal, data: MatterCreate) -> MatterRead:
    """Staff propose for the branch or a body in a compound they manage; anyone else
    taking part proposes as a resident (or member) of their own compound."""
    manage = principal.scope(GOVERNANCE_MANAGE)
    unit = await shared_repository.live_unit(session, data.org_unit_id, manage)
    if unit is not None:
        compound = await shared.compound(session, manage, unit.id)
        return await propose_as_staff(
            session, principal, compound, data.title, data.description, data.proposer_body_id
        )
    compound = await shared.compound(
        session, await shared.participation_scope(session, principal), data.org_unit_id
    )
    if data.proposer_body_id is not None:
        raise ProposerBodyNotFound()
    resident = await shared.resident_of(session, principal, compound)
    is_member = await shared_repository.member_person(
        session, resident.person.id, Scope.everything(), Scope.everything()
    )
    kind = ProposerKind.member if is_member and is_member[1] else ProposerKind.resident
    matter = await _file(
        session,
        principal,
        compound,
        data.title,
        data.description,
        proposer_kind=kind,
        proposer_person_id=resident.person.id,
    )
    return await present(session, matter)


async def propose_as_staff(
    session: AsyncSession,
    principal: Principal,
    compound: OrgUnit,
    title: str,
    description: str,
    proposer_body_id: int | None = None,
    *,
    source_evaluation_id: int | None = None,
) -> MatterRead:
    """A matter the branch files itself, or on behalf of a body linked to the compound
    (or serving it); also how meetings and evaluations open one."""
    kind = ProposerKind.staff
    if proposer_body_id is not None:
        body = await body_repository.get_body(
            session, proposer_body_id, await shared.reader_scope(session, principal)
        )
        if body is None:
            raise ProposerBodyNotFound()
        kind = ProposerKind.body
    matter = await _file(
        session,
        principal,
        compound,
        title,
        description,
        proposer_kind=kind,
        proposer_body_id=proposer_body_id,
        source_evaluation_id=source_evaluation_id,
    )
    return await present(session, matter)


async def _file(
    session: AsyncSession,
    principal: Principal,
    compound: OrgUnit,
    title: str,
    description: str,
    **proposer: Any,
) -> Matter:
    matter = Matter(
        org_unit_id=compound.id,
        title=title,
        description=description,
        status=MatterStatus.proposed.value,
        proposed_by_user_id=principal.user_id,
        version=1,
        **proposer,
        **shared.place_of(compound),
    )
    await repository.add(session, matter)
    await repository.refresh(session, matter)
    await record(session, principal, matter, MatterStep.propose, None)
    return matter


# ---------------------------------------------------------------- reading


async def get_matter(session: AsyncSession, principal: Principal, matter_id: int) -> MatterRead:
    scope = await shared.reader_scope(session, principal)
    return await present(session, await find(session, scope, matter_id))


async def list_matters(
    session: AsyncSession,
    principal: Principal,
    *,
    org_unit_id: int | None,
    status: MatterStatus | None,
    limit: int,
    cursor: str | None,
) -> MatterPage:
    """Matters the caller reads (staff scope, the compound they live in), newest first."""
    scope = await shared.reader_scope(session, principal)
    where: list[ColumnElement[bool]] = [scope.clause(Matter)]
    if org_unit_id is not None:
        unit = await shared.unit(session, scope, org_unit_id)
        where.append(Scope.of([(unit.level, unit.id)]).clause(Matter))
    if status is not None:
        where.append(Matter.status == status.value)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.matter_page(session, where, before=after, limit=n),
        lambda m: m.id,
    )
    return MatterPage(
        items=[MatterSummary.model_validate(m) for m in items], next_cursor=next_cursor
    )


async def list_events(
    session: AsyncSession, principal: Principal, matter_id: int, *, limit: int, cursor: str | None
) -> MatterEventPage:
    """Every step, oldest first (append-only)."""
    scope = await shared.reader_scope(session, principal)
    matter = await find(session, scope, matter_id)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.event_page(session, matter.id, after=after, limit=n),
        lambda e: e.id,
    )
    return MatterEventPage(
        items=[MatterEventRead.model_validate(e) for e in items], next_cursor=next_cursor
    )
