"""Use cases of the KPI reports (接诉即办 三率 over a subtree and a period).

Visibility: ``orders.stats`` over the unit (a unit outside the caller's scope is not
found, 404); without ``orders.stats`` anywhere the router answers 403. Read-only.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import ORDERS_STATS
from app.authz.principal import Principal
from app.authz.scope import LEVEL_COLUMNS, Scope
from app.errors import OrgUnitNotFound
from app.kit.calendar import BUSINESS_TZ
from app.orders.workflow import OrderStatus
from app.reporting import repository, rules
from app.reporting.kpi_settings import service as kpi_settings_service
from app.reporting.schemas import (
    ArrivalStats,
    CategoryStats,
    ChannelStats,
    ChildStats,
    Definitions,
    KpiFigures,
    KpiSettings,
    OrderStats,
    Period,
    Rate,
    SettingsBasis,
    StatusCounts,
    UnitRef,
)


async def order_stats(
    session: AsyncSession,
    principal: Principal,
    *,
    unit_id: int | None,
    date_from: date | None,
    date_to: date | None,
    now: datetime | None = None,
) -> OrderStats:
    as_of = (now or datetime.now(BUSINESS_TZ)).astimezone(BUSINESS_TZ).replace(microsecond=0)
    period = rules.resolve_period(date_from, date_to, as_of.date())
    unit, town_id = await _unit(session, principal, unit_id)
    return await report(session, principal.scope(ORDERS_STATS), unit, town_id, period, as_of)


async def report(
    session: AsyncSession,
    visible: Scope,
    unit: UnitRef,
    town_id: int,
    period: rules.Period,
    as_of: datetime,
    *,
    by_level: str | None = None,
) -> OrderStats:
    """The report of ``unit`` (already found in scope) as ``visible`` sees its orders,
    with the KPI settings in force in its town on the period's last day. ``by_level``
    breaks it down by the nodes of that level below the unit (default: its children),
    ranked among themselves: a town's grids, for a 通报."""
    settings, basis = await kpi_settings_service.in_force(session, town_id, period.to_date)
    query = _query(visible, unit, period, settings, as_of, by_level)
    rows = await repository.kpi_rows(session, query)
    children: Sequence[Any]
    if not query.child_column:
        children = []
    elif by_level is None:
        children = await repository.children_of(session, unit.id)
    else:
        children = await repository.units_at_level(session, query.subtree, by_level)
    return OrderStats(
        unit=unit,
        period=Period(from_date=period.from_date, to_date=period.to_date),
        as_of=as_of,
        summary=_figures(_one(rows, lambda r: r["g_category"] == 1 and r["g_child"] == 1)),
        by_category=await _by_category(session, rows),
        by_child=_by_child(rows, children),
        department_arrivals=ArrivalStats.model_validate(
            dict(await repository.arrival_counts(session, query))
        ),
        by_feedback_channel=[
            _channel(r) for r in await repository.feedback_by_channel(session, query)
        ],
        at_unit=_at_unit(rows),
        definitions=_definitions(settings, basis, query),
    )


def query_for(
    visible: Scope, unit: UnitRef, period: rules.Period, settings: KpiSettings, as_of: datetime
) -> repository.ReportQuery:
    """The SQL inputs of a report (a 通报's order lists take the same)."""
    return _query(visible, unit, period, settings, as_of, None)


def _query(
    visible: Scope,
    unit: UnitRef,
    period: rules.Period,
    settings: KpiSettings,
    as_of: datetime,
    by_level: str | None,
) -> repository.ReportQuery:
    """The caller's scope, the unit's subtree, and the settings turned into SQL inputs."""
    child_column = (
        rules.CHILD_COLUMN.get(unit.level) if by_level is None else LEVEL_COLUMNS[by_level]
    )
    return repository.ReportQuery(
        visible=visible,
        subtree=Scope.of([(unit.level, unit.id)]),
        start=period.start,
        end=period.end,
        as_of=as_of,
        child_column=child_column,
        excluded_statuses=[s.value for s in settings.excluded_statuses],
        exclude_flagged=settings.exclude_flagged_unreasonable,
        resolution_credits=rules.resolution_credits(settings),
        satisfaction_credits=rules.satisfaction_credits(settings),
    )


async def _unit(
    session: AsyncSession, principal: Principal, unit_id: int | None
) -> tuple[UnitRef, int]:
    """The report's unit, and its town (whose KPI settings apply)."""
    scope = principal.scope(ORDERS_STATS)
    if unit_id is None:
        unit_id = await _top_visible(session, principal)
    row = None if unit_id is None else await repository.find_unit(session, scope, unit_id)
    if row is None:
        raise OrgUnitNotFound()
    return UnitRef.model_validate(row._mapping), row.town_id


async def _top_visible(session: AsyncSession, principal: Principal) -> int | None:
    """The highest node the caller reaches with ``orders.stats`` (lowest id on a tie)."""
    if principal.is_superuser:
        return await repository.first_town(session)
    grants = [
        (rules.LEVEL_ORDER.index(g.level), g.org_unit_id)
        for g in principal.grants
        if ORDERS_STATS in g.permissions
    ]
    return min(grants)[1] if grants else None


def _definitions(
    settings: KpiSettings, basis: SettingsBasis, query: repository.ReportQuery
) -> Definitions:
    return Definitions(
        settings=settings,
        settings_basis=basis,
        resolution_credits=_floats(query.resolution_credits),
        satisfaction_credits=_floats(query.satisfaction_credits),
        formulas=rules.formulas(settings),
        ranking_zh=rules.RANKING_ZH,
        ranking_en=rules.RANKING_EN,
    )


def _floats(values: Mapping[str, Decimal]) -> dict[str, float]:
    return {key: float(value) for key, value in values.items()}


def _one(rows: list[Any], match: Any) -> Mapping[str, Any] | None:
    return next((row for row in rows if match(row)), None)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _channel(row: RowMapping) -> ChannelStats:
    def rate(credit: str, answered: str) -> Rate:
        n = int(row[answered])
        value = float(row[credit])
        return Rate(rate=round(value / n, 4) if n else None, numerator=value, denominator=n)

    return ChannelStats(
        channel=row["channel"],
        resolution_rate=rate("resolution_credit", "resolution_answered"),
        satisfaction_rate=rate("satisfaction_credit", "satisfaction_answered"),
    )


def _figures(row: Mapping[str, Any] | None) -> KpiFigures:
    """The figures of one group; an empty group (no orders) is all zeros."""
    r: Mapping[str, Any] = row or {}

    def n(key: str) -> int:
        return int(r.get(key) or 0)

    return KpiFigures(
        total=n("total"),
        excluded=n("excluded"),
        counted=n("total") - n("excluded"),
        by_status=StatusCounts(**{s.value: n(f"st_{s.value}") for s in OrderStatus}),
        response_rate=Rate(
            rate=_number(r.get("response_rate")),
            numerator=n("response_on_time"),
            denominator=n("response_due"),
        ),
        resolution_rate=Rate(
            rate=_number(r.get("resolution_rate")),
            numerator=float(r.get("resolution_credit") or 0),
            denominator=n("resolution_answered"),
        ),
        satisfaction_rate=Rate(
            rate=_number(r.get("satisfaction_rate")),
            numerator=float(r.get("satisfaction_credit") or 0),
            denominator=n("satisfaction_answered"),
        ),
        mean_hours_to_accept=_number(r.get("hours_to_accept")),
        accepted=n("accepted"),
        mean_hours_to_resolve=_number(r.get("hours_to_resolve")),
        resolved=n("resolved"),
        overdue=n("overdue"),
        escalated=n("escalated"),
    )


async def _by_category(session: AsyncSession, rows: list[Any]) -> list[CategoryStats]:
    groups = {r["category"]: r for r in rows if r["g_category"] == 0}
    result = [
        CategoryStats(
            category=c.code,
            name_zh=c.name_zh,
            name_en=c.name_en,
            figures=_figures(groups.get(c.code)),
        )
        for c in await repository.categories(session)
        if c.is_active or c.code in groups
    ]
    # Busiest first; the category code breaks ties so the order is stable.
    return sorted(result, key=lambda c: (-c.figures.total, c.category))


def _by_child(rows: list[Any], children: list[Any]) -> list[ChildStats]:
    groups = {r["child_id"]: r for r in rows if r["g_child"] == 0 and r["child_id"] is not None}
    result = [
        ChildStats(
            unit=UnitRef(id=c.id, name=c.name, code=c.code, level=c.level),
            rank=groups[c.id]["rank"] if c.id in groups else None,
            figures=_figures(groups.get(c.id)),
        )
        for c in children
        if not c.is_archived or c.id in groups
    ]
    # Ranked first (best first), then the unranked by name.
    return sorted(result, key=lambda c: (c.rank is None, c.rank or 0, c.unit.name, c.unit.id))


def _at_unit(rows: list[Any]) -> KpiFigures | None:
    row = _one(rows, lambda r: r["g_child"] == 0 and r["child_id"] is None)
    return None if row is None else _figures(row)
