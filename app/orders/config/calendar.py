"""The working-day calendar (调休): statutory holidays plus local overrides.

Services flush, never commit; every write records one audit event.
"""

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.principal import Principal
from app.kit.calendar import WorkingCalendar
from app.orders.config import repository
from app.orders.config.errors import (
    InvalidDateRange,
    OverrideNotFound,
)
from app.orders.config.schemas import (
    CalendarOverrideIn,
    CalendarOverrideRead,
    CalendarYear,
    WorkingDays,
)
from app.orders.config.shared import require_global

MAX_RANGE_DAYS = 366
"""``/calendar/working-days`` answers at most a year at a time."""


async def load_calendar(session: AsyncSession, first: date, last: date) -> WorkingCalendar:
    """The working-day calendar with the overrides of every year ``first`` … ``last`` touch
    (a year with any override counts as known, so all of its overrides are loaded)."""
    rows = await repository.overrides_between(
        session, date(first.year, 1, 1), date(last.year, 12, 31)
    )
    return WorkingCalendar({row.day: row.is_workday for row in rows})


async def get_calendar_year(session: AsyncSession, year: int) -> CalendarYear:
    rows = await repository.overrides_between(session, date(year, 1, 1), date(year, 12, 31))
    return CalendarYear(
        year=year,
        library_covers=WorkingCalendar().is_exact(date(year, 1, 1)),
        items=[CalendarOverrideRead.model_validate(r) for r in rows],
    )


async def put_override(
    session: AsyncSession, principal: Principal, day: date, data: CalendarOverrideIn
) -> tuple[CalendarOverrideRead, bool]:
    """Set the working status of ``day``; it wins over the calendar library."""
    require_global(principal)
    row, created = await repository.put_override(session, day, data.is_workday, data.note)
    kind = "工作日" if data.is_workday else "休息日"
    await audit_service.record(
        session,
        principal,
        "calendar_override.set",
        summary=f"设置 {day.isoformat()} 为{kind}" + (f"（{data.note}）" if data.note else ""),
        target_type="calendar_override",
        target_id=day.isoformat(),
    )
    return CalendarOverrideRead.model_validate(row), created


async def delete_override(session: AsyncSession, principal: Principal, day: date) -> None:
    require_global(principal)
    if await repository.delete_override(session, day) is None:
        raise OverrideNotFound()
    summary = f"删除 {day.isoformat()} 的工作日设置"
    await audit_service.record(
        session,
        principal,
        "calendar_override.delete",
        summary=summary,
        target_type="calendar_override",
        target_id=day.isoformat(),
    )


async def working_days(session: AsyncSession, first: date, last: date) -> WorkingDays:
    if last < first:
        raise InvalidDateRange("结束日期早于开始日期", "`to` is before `from`")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidDateRange(
            f"日期范围最长 {MAX_RANGE_DAYS} 天", f"The range spans at most {MAX_RANGE_DAYS} days"
        )
    calendar = await load_calendar(session, first, last)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    inexact = sorted({d.year for d in days if not calendar.is_exact(d)})
    workdays = [d for d in days if calendar.is_workday(d)]
    return WorkingDays.model_validate(
        {
            "from": first,
            "to": last,
            "working_days": len(workdays),
            "workdays": workdays,
            "is_exact": not inexact,
            "inexact_years": inexact,
        }
    )
