"""SQL of the KPI reports. Orders are never loaded: one aggregate scan answers a report.

The figures of the subtree, of each category and of each child node come from one
``GROUP BY GROUPING SETS`` over the orders in scope and period, with ``FILTER``
clauses for each count; the ranking of children is a window over those groups
(STYLE.md principle 8, SQL-first reports).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Row,
    RowMapping,
    Select,
    and_,
    bindparam,
    case,
    cast,
    extract,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import LEVEL_COLUMNS, Scope
from app.hierarchy.models import OrgUnit
from app.orders.models import DepartmentArrival, OrderCategory, OrderSecond, ServiceOrder
from app.orders.workflow import OrderStatus
from app.reporting.rules import STILL_WORKING

O = ServiceOrder  # noqa: E741 - short alias keeps the aggregate expressions readable


@dataclass(frozen=True)
class ReportQuery:
    visible: Scope
    """The caller's ``orders.stats`` scope."""
    subtree: Scope
    """The report's unit and everything below it."""
    start: datetime
    end: datetime
    as_of: datetime
    child_column: str | None
    excluded_statuses: Sequence[str]
    exclude_flagged: bool
    resolution_credits: Mapping[str, Decimal]
    satisfaction_credits: Mapping[str, Decimal]


# ---------------------------------------------------------------- statements per shape
#
# A report's statement is large (57 columns of FILTERed aggregates); building it and
# coercing every expression cost far more than the SQL itself. Each statement is built
# once per *shape* — the levels of the two scopes, the child level, which answers earn
# credit, whether flagged orders are excluded — with every value a bound parameter, and
# kept for the life of the process (a handful of shapes exist).

_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}


def _scope_shape(scope: Scope) -> tuple[Any, ...]:
    if scope.unrestricted:
        return (True,)
    return (False, *sorted({level for level, _ in scope.nodes}))


def _scope_clause(scope_shape: tuple[Any, ...], name: str) -> ColumnElement[bool]:
    """``Scope.clause`` over ``service_order`` with the node ids as bound lists."""
    if scope_shape[0]:
        return true()
    levels = scope_shape[1:]
    if not levels:
        return false()
    return or_(
        *(
            getattr(O, LEVEL_COLUMNS[level]).in_(bindparam(f"{name}_{level}", expanding=True))
            for level in levels
        )
    )


def _scope_params(scope: Scope, name: str) -> dict[str, list[int]]:
    if scope.unrestricted:
        return {}
    ids: dict[str, list[int]] = {}
    for level, node_id in scope.nodes:
        ids.setdefault(f"{name}_{level}", []).append(node_id)
    return {key: sorted(values) for key, values in ids.items()}


def _credited(credits: Mapping[str, Decimal]) -> tuple[str, ...]:
    return tuple(sorted(answer for answer, c in credits.items() if c))


def _shape(q: "ReportQuery") -> tuple[Any, ...]:
    return (
        _scope_shape(q.visible),
        _scope_shape(q.subtree),
        q.child_column,
        q.exclude_flagged,
        _credited(q.resolution_credits),
        _credited(q.satisfaction_credits),
    )


def _params(q: "ReportQuery") -> dict[str, Any]:
    params: dict[str, Any] = {
        **_scope_params(q.visible, "visible"),
        **_scope_params(q.subtree, "subtree"),
        "period_start": q.start,
        "period_end": q.end,
        "as_of": q.as_of,
        "excluded_statuses": list(q.excluded_statuses),
    }
    for prefix, credits in (("rc", q.resolution_credits), ("sc", q.satisfaction_credits)):
        for n, answer in enumerate(_credited(credits)):
            params[f"{prefix}_{n}"] = credits[answer]
    return params


def _cached(kind: str, q: "ReportQuery", build: Any) -> Select[Any]:
    key = (kind, *_shape(q))
    statement = _STATEMENTS.get(key)
    if statement is None:
        if len(_STATEMENTS) >= 256:  # shapes are few; settings edits add some
            _STATEMENTS.clear()
        statement = _STATEMENTS[key] = build(_shape(q))
    return statement


def _in_report(shape: tuple[Any, ...]) -> list[ColumnElement[bool]]:
    """The orders of the report: visible, in the subtree, received in the period."""
    return [
        _scope_clause(shape[0], "visible"),
        _scope_clause(shape[1], "subtree"),
        O.received_at >= bindparam("period_start"),
        O.received_at < bindparam("period_end"),
    ]


def _excluded(shape: tuple[Any, ...]) -> ColumnElement[bool]:
    excluded: ColumnElement[bool] = O.status.in_(bindparam("excluded_statuses", expanding=True))
    return or_(excluded, O.is_excluded) if shape[3] else excluded


async def find_unit(
    session: AsyncSession, scope: Scope, unit_id: int
) -> Row[int, str, str, str, int] | None:
    return (
        await session.execute(
            select(OrgUnit.id, OrgUnit.name, OrgUnit.code, OrgUnit.level, OrgUnit.town_id).where(
                OrgUnit.id == unit_id, scope.clause(OrgUnit)
            )
        )
    ).first()


async def first_town(session: AsyncSession) -> int | None:
    """The oldest live town: where a superuser's report starts without a unit."""
    return await session.scalar(
        select(OrgUnit.id)
        .where(OrgUnit.level == "town", OrgUnit.is_archived.is_(False))
        .order_by(OrgUnit.id)
        .limit(1)
    )


async def children_of(session: AsyncSession, unit_id: int) -> list[Row[int, str, str, str, bool]]:
    rows = await session.execute(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.code, OrgUnit.level, OrgUnit.is_archived)
        .where(OrgUnit.parent_id == unit_id)
        .order_by(OrgUnit.id)
    )
    return list(rows)


async def units_at_level(
    session: AsyncSession, subtree: Scope, level: str
) -> list[Row[int, str, str, str, bool, int | None]]:
    """The nodes of ``level`` inside ``subtree`` (a town's grids), with their parents."""
    rows = await session.execute(
        select(
            OrgUnit.id,
            OrgUnit.name,
            OrgUnit.code,
            OrgUnit.level,
            OrgUnit.is_archived,
            OrgUnit.parent_id,
        )
        .where(subtree.clause(OrgUnit), OrgUnit.level == level)
        .order_by(OrgUnit.id)
    )
    return list(rows)


async def categories(session: AsyncSession) -> list[Row[str, str, str, bool]]:
    rows = await session.execute(
        select(
            OrderCategory.code,
            OrderCategory.name_zh,
            OrderCategory.name_en,
            OrderCategory.is_active,
        ).order_by(OrderCategory.code)
    )
    return list(rows)


def _credit(column: Any, answers: tuple[str, ...], prefix: str) -> ColumnElement[Any]:
    """The credit of each answer (``answers`` earn some; their values are parameters)."""
    whens = [
        (column == answer, bindparam(f"{prefix}_{n}", type_=Numeric))
        for n, answer in enumerate(answers)
    ]
    zero = literal(Decimal(0), Numeric)
    return case(*whens, else_=zero) if whens else zero


def _hours(later: Any) -> ColumnElement[Any]:
    return extract("epoch", later - O.received_at) / 3600


def _figures(shape: tuple[Any, ...]) -> list[Any]:
    """The aggregate columns of one group; every KPI counts only non-excluded orders."""
    as_of = bindparam("as_of")
    resolution_answers, satisfaction_answers = shape[4], shape[5]
    excluded = _excluded(shape)
    counted = not_(excluded)
    working = O.status.in_(STILL_WORKING)
    finished = and_(O.resolved_at.is_not(None), not_(working))
    response_due = and_(
        counted,
        O.response_due_at.is_not(None),
        or_(O.first_contact_at.is_not(None), O.response_due_at < as_of),
    )
    res_answered = and_(counted, O.feedback_resolved.is_not(None))
    sat_answered = and_(counted, O.feedback_satisfaction.is_not(None))
    accepted = and_(counted, O.accepted_at.is_not(None))
    count = func.count
    return [
        count().label("total"),
        count().filter(excluded).label("excluded"),
        *(count().filter(O.status == s.value).label(f"st_{s.value}") for s in OrderStatus),
        count().filter(response_due).label("response_due"),
        count().filter(counted, O.first_contact_at <= O.response_due_at).label("response_on_time"),
        count().filter(res_answered).label("resolution_answered"),
        func.coalesce(
            func.sum(_credit(O.feedback_resolved, resolution_answers, "rc")).filter(res_answered),
            0,
        ).label("resolution_credit"),
        count().filter(sat_answered).label("satisfaction_answered"),
        func.coalesce(
            func.sum(_credit(O.feedback_satisfaction, satisfaction_answers, "sc")).filter(
                sat_answered
            ),
            0,
        ).label("satisfaction_credit"),
        count().filter(accepted).label("accepted"),
        func.round(cast(func.avg(_hours(O.accepted_at)).filter(accepted), Numeric), 2).label(
            "hours_to_accept"
        ),
        count().filter(counted, finished).label("resolved"),
        func.round(
            cast(func.avg(_hours(O.resolved_at)).filter(counted, finished), Numeric), 2
        ).label("hours_to_resolve"),
        count()
        .filter(
            counted,
            or_(
                and_(working, O.resolve_due_at < as_of),
                and_(finished, O.resolved_at > O.resolve_due_at),
            ),
        )
        .label("overdue"),
        count().filter(counted, O.escalation_level > 0).label("escalated"),
    ]


async def arrival_counts(session: AsyncSession, q: ReportQuery) -> RowMapping:
    """吹哨报到 双考核: the departments whistled to orders of the subtree and period, and
    how they reported: in time, late, or not yet past the limit."""
    statement = _cached("arrivals", q, _arrival_counts)
    return (await session.execute(statement, _params(q))).mappings().one()


def _arrival_counts(shape: tuple[Any, ...]) -> Select[Any]:
    A = DepartmentArrival
    as_of = bindparam("as_of")
    late = or_(A.arrived_at > A.due_at, and_(A.arrived_at.is_(None), A.due_at < as_of))
    return (
        select(
            func.count().label("whistled"),
            func.count().filter(A.arrived_at <= A.due_at).label("on_time"),
            func.count().filter(A.arrived_at > A.due_at).label("arrived_late"),
            func.count().filter(A.arrived_at.is_(None), A.due_at < as_of).label("missing"),
            func.count().filter(late).label("late"),
        )
        .select_from(A)
        .join(O, O.id == A.order_id)
        .where(*_in_report(shape))
    )


async def feedback_by_channel(session: AsyncSession, q: ReportQuery) -> list[RowMapping]:
    """回访 answers per channel (the resident's own, ``self``, or staff's phone, visit,
    sms), counted as the summary counts them: the split of its resolution and
    satisfaction rates."""
    statement = _cached("channels", q, _feedback_by_channel)
    return list((await session.execute(statement, _params(q))).mappings())


def _feedback_by_channel(shape: tuple[Any, ...]) -> Select[Any]:
    channel = func.coalesce(O.feedback_channel, "self")
    res_answered = O.feedback_resolved.is_not(None)
    sat_answered = O.feedback_satisfaction.is_not(None)
    return (
        select(
            channel.label("channel"),
            func.count().filter(res_answered).label("resolution_answered"),
            func.coalesce(
                func.sum(_credit(O.feedback_resolved, shape[4], "rc")).filter(res_answered),
                0,
            ).label("resolution_credit"),
            func.count().filter(sat_answered).label("satisfaction_answered"),
            func.coalesce(
                func.sum(_credit(O.feedback_satisfaction, shape[5], "sc")).filter(sat_answered),
                0,
            ).label("satisfaction_credit"),
        )
        .where(*_in_report(shape), not_(_excluded(shape)), or_(res_answered, sat_answered))
        .group_by(channel)
        .order_by(channel)
    )


def _rate(numerator: Any, denominator: Any) -> ColumnElement[Any]:
    return cast(numerator, Numeric) / func.nullif(denominator, 0)


async def kpi_rows(session: AsyncSession, q: ReportQuery) -> list[RowMapping]:
    """One row for the whole subtree, one per category, one per child (and one for orders
    placed at the unit itself, ``child_id`` null), told apart by ``GROUPING()``."""
    statement = _cached("kpi", q, _kpi_rows)
    return list((await session.execute(statement, _params(q))).mappings())


def _kpi_rows(shape: tuple[Any, ...]) -> Select[Any]:
    child_column = shape[2]
    child = getattr(O, child_column) if child_column else null()
    sets = [tuple_(), tuple_(O.category)]
    if child_column:
        sets.append(tuple_(child))
    groups = (
        select(
            func.grouping(O.category).label("g_category"),
            (func.grouping(child) if child_column else literal(1)).label("g_child"),
            O.category.label("category"),
            child.label("child_id"),
            *_figures(shape),
        )
        .where(*_in_report(shape))
        .group_by(func.grouping_sets(*sets))
        .subquery("groups")
    )
    g = groups.c
    response = _rate(g.response_on_time, g.response_due)
    resolution = _rate(g.resolution_credit, g.resolution_answered)
    satisfaction = _rate(g.satisfaction_credit, g.satisfaction_answered)
    rankable = and_(
        g.g_category == 1,
        g.g_child == 0,
        g.child_id.is_not(None),
        or_(g.response_due > 0, g.resolution_answered > 0, g.satisfaction_answered > 0),
    )
    rank = func.rank().over(
        partition_by=rankable,
        order_by=(
            satisfaction.desc().nulls_last(),
            resolution.desc().nulls_last(),
            response.desc().nulls_last(),
        ),
    )
    return select(
        groups,
        func.round(response, 4).label("response_rate"),
        func.round(resolution, 4).label("resolution_rate"),
        func.round(satisfaction, 4).label("satisfaction_rate"),
        case((rankable, rank), else_=null()).label("rank"),
    )


# ------------------------------------------- 通报: the orders a bulletin lists
#
# Built per call (a bulletin is published once a period, not per request).


def _excluded_now(q: ReportQuery) -> ColumnElement[bool]:
    """Left out of every KPI per the settings (剔除)."""
    excluded: ColumnElement[bool] = O.status.in_(list(q.excluded_statuses))
    return or_(excluded, O.is_excluded) if q.exclude_flagged else excluded


def _overdue_now(q: ReportQuery) -> ColumnElement[bool]:
    """超期: still open past ``resolve_due_at`` as of the report, or resolved after it."""
    working = O.status.in_(STILL_WORKING)
    finished = and_(O.resolved_at.is_not(None), not_(working))
    return or_(
        and_(working, O.resolve_due_at < q.as_of),
        and_(finished, O.resolved_at > O.resolve_due_at),
    )


def _in_report_now(q: ReportQuery) -> tuple[ColumnElement[bool], ...]:
    """Orders visible to the caller, under the unit, received in the period."""
    return (
        q.visible.clause(O),
        q.subtree.clause(O),
        O.received_at >= q.start,
        O.received_at < q.end,
    )


ORDER_COLUMNS = (
    O.id,
    O.number,
    O.title,
    O.category,
    O.status,
    O.community_id,
    O.grid_id,
    O.received_at,
    O.resolve_due_at,
    O.resolved_at,
    O.escalation_level,
    O.seconds_count,
)
"""What a 通报 lists of an order: no resident, contact or address (PIPL)."""


async def overdue_orders(session: AsyncSession, q: ReportQuery, limit: int) -> list[RowMapping]:
    """The counted orders the report calls overdue, earliest deadline first."""
    query = (
        select(*ORDER_COLUMNS)
        .where(*_in_report_now(q), not_(_excluded_now(q)), _overdue_now(q))
        .order_by(O.resolve_due_at, O.id)
        .limit(limit)
    )
    return list((await session.execute(query)).mappings())


async def most_seconded(session: AsyncSession, q: ReportQuery, limit: int) -> list[RowMapping]:
    """附议: the counted orders of the subtree seconded most within the period (by
    ``order_second.created_at``), whenever they were received."""
    seconds = func.count().label("seconds_in_period")
    query = (
        select(*ORDER_COLUMNS, seconds)
        .select_from(OrderSecond)
        .join(O, O.id == OrderSecond.order_id)
        .where(
            q.visible.clause(O),
            q.subtree.clause(O),
            OrderSecond.created_at >= q.start,
            OrderSecond.created_at < q.end,
            not_(_excluded_now(q)),
        )
        .group_by(*ORDER_COLUMNS)
        .order_by(seconds.desc(), O.seconds_count.desc(), O.id)
        .limit(limit)
    )
    return list((await session.execute(query)).mappings())
