"""Use cases of the KPI reports (接诉即办 三率 over a subtree and a period).

Visibility: ``orders.stats`` over the unit (a unit outside the caller's scope is not
found, 404); without ``orders.stats`` anywhere the router answers 403. Read-only.
"""

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import ORDERS_STATS
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.errors import OrgUnitNotFound
from app.kit.calendar import BUSINESS_TZ
from app.orders.workflow import OrderStatus
from app.reporting import repository, rules
from app.reporting.errors import KpiSettingsInvalid
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
    unit = await _unit(session, principal, unit_id)
    settings = await _settings(session)
    query = _query(principal, unit, period, settings, as_of)
    rows = await repository.kpi_rows(session, query)
    children = await repository.children_of(session, unit.id) if query.child_column else []
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
        definitions=_definitions(settings, query),
    )


def _query(
    principal: Principal,
    unit: UnitRef,
    period: rules.Period,
    settings: KpiSettings,
    as_of: datetime,
) -> repository.ReportQuery:
    """The caller's scope, the unit's subtree, and the settings turned into SQL inputs."""
    return repository.ReportQuery(
        visible=principal.scope(ORDERS_STATS),
        subtree=Scope.of([(unit.level, unit.id)]),
        start=period.start,
        end=period.end,
        as_of=as_of,
        child_column=rules.CHILD_COLUMN.get(unit.level),
        excluded_statuses=[s.value for s in settings.excluded_statuses],
        exclude_flagged=settings.exclude_flagged_unreasonable,
        resolution_credits=rules.resolution_credits(settings),
        satisfaction_credits=rules.satisfaction_credits(settings),
    )


async def _unit(session: AsyncSession, principal: Principal, unit_id: int | None) -> UnitRef:
    scope = principal.scope(ORDERS_STATS)
    if unit_id is None:
        unit_id = await _top_visible(session, principal)
    row = None if unit_id is None else await repository.find_unit(session, scope, unit_id)
    if row is None:
        raise OrgUnitNotFound()
    return UnitRef.model_validate(row._mapping)


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


async def _settings(session: AsyncSession) -> KpiSettings:
    try:
        return KpiSettings.model_validate(await repository.kpi_settings(session))
    except ValidationError as exc:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise KpiSettingsInvalid(f"配置项有误：{fields}", f"faulty keys: {fields}") from None


def _definitions(settings: KpiSettings, query: repository.ReportQuery) -> Definitions:
    return Definitions(
        settings=settings,
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


def _channel(row: Mapping[str, Any]) -> ChannelStats:
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
