"""Helpers every participation service shares: the audit target of a row, the clock,
the caller's own person, and the caller's reach as a participant."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import PARTICIPATION_JOIN
from app.authz.principal import Principal
from app.authz.reach import reach
from app.authz.scope import Reach, Scope
from app.errors import BusinessRuleViolation
from app.participation.registrations.models import DualRegistration


class NoPersonLinked(BusinessRuleViolation):
    code = "participation.no_person"
    message_zh = "账号未关联人员信息"
    message_en = "The account is not linked to a person"


def utcnow() -> datetime:
    return datetime.now(UTC)


def own_person(principal: Principal) -> int:
    """The caller's own person (a participant acts for themselves)."""
    if principal.person_id is None:
        raise NoPersonLinked()
    return principal.person_id


async def participant_reach(session: AsyncSession, principal: Principal) -> Reach:
    """Where the caller takes part: the community (and town) of their grants, and every
    community they are registered with (双报到: an in-service member serves where their
    unit is paired too)."""
    granted = await reach(session, principal, PARTICIPATION_JOIN)
    if granted.is_empty or granted.around.unrestricted or principal.person_id is None:
        return granted
    registered = await session.scalars(
        select(DualRegistration.community_id).where(
            DualRegistration.person_id == principal.person_id,
            DualRegistration.status == "confirmed",
        )
    )
    extra = {("community", c) for c in registered if c is not None}
    if not extra:
        return granted
    return Reach(around=Scope.of(granted.around.nodes | extra), towns=granted.towns)


def about(row: Any) -> dict[str, Any]:
    """The audit target and place of an event about ``row`` (a scoped row of the domain),
    for ``app.audit.service.record``, the one audit writer. Summaries carry no personal
    data beyond names (no phone or ID numbers)."""
    return {"target_type": row.__tablename__, "target_id": row.id, "place": row}
