"""Time-limit classes (办理时限): global data every town shares.

Services flush, never commit; every write records one audit event.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.principal import Principal
from app.kit.pagination import BY_CODE, paginate
from app.orders.config import repository
from app.orders.config.errors import (
    TimeLimitCodeTaken,
    TimeLimitNotFound,
)
from app.orders.config.schemas import (
    TimeLimitClassCreate,
    TimeLimitClassPage,
    TimeLimitClassRead,
    TimeLimitClassUpdate,
)
from app.orders.config.shared import changed_fields, require_global
from app.orders.models import TimeLimitClass


async def list_time_limits(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> TimeLimitClassPage:
    items, next_cursor = await paginate(
        BY_CODE,
        cursor,
        limit,
        lambda after, n: repository.time_limit_page(session, after=after, limit=n),
        key=lambda time_limit: time_limit.code,
    )
    return TimeLimitClassPage(
        items=[TimeLimitClassRead.model_validate(r) for r in items], next_cursor=next_cursor
    )


async def get_time_limit(session: AsyncSession, code: str) -> TimeLimitClassRead:
    found = await repository.get_time_limit(session, code)
    if found is None:
        raise TimeLimitNotFound()
    return TimeLimitClassRead.model_validate(found)


async def create_time_limit(
    session: AsyncSession, principal: Principal, data: TimeLimitClassCreate
) -> TimeLimitClassRead:
    require_global(principal)
    if await repository.get_time_limit(session, data.code) is not None:
        raise TimeLimitCodeTaken()
    row = await repository.save(
        session,
        TimeLimitClass(**data.model_dump(mode="json")),
        unique="pk_time_limit_class",
        error=TimeLimitCodeTaken(),
    )
    summary = f"新增办理时限「{row.name_zh}」({row.code})"
    await audit_service.record(
        session,
        principal,
        "time_limit_class.create",
        summary=summary,
        target_type="time_limit_class",
        target_id=row.code,
    )
    return TimeLimitClassRead.model_validate(row)


async def update_time_limit(
    session: AsyncSession, principal: Principal, code: str, data: TimeLimitClassUpdate
) -> TimeLimitClassRead:
    """Deadlines are stored on each order at triage (分拣): a change applies to orders
    triaged afterwards, never to orders already in work."""
    require_global(principal)
    row = await repository.get_time_limit(session, code, for_update=True)
    if row is None:
        raise TimeLimitNotFound()
    changes = changed_fields(row, data)
    if "response_hours" in changes and float(row.response_hours) == changes["response_hours"]:
        del changes["response_hours"]  # Numeric vs float: not a change
    if not changes:
        return TimeLimitClassRead.model_validate(row)
    for field, value in changes.items():
        setattr(row, field, value)
    await repository.save(session, row)
    summary = f"修改办理时限「{row.name_zh}」({code})：{', '.join(sorted(changes))}"
    await audit_service.record(
        session,
        principal,
        "time_limit_class.update",
        summary=summary,
        target_type="time_limit_class",
        target_id=code,
    )
    return TimeLimitClassRead.model_validate(row)
