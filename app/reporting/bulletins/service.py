"""Use cases of the 通报 (weekly and monthly bulletins of a town).

A bulletin is computed once — the KPI report of the town ranked by community and by
grid, its overdue orders, its most-seconded orders — and stored as a snapshot, one per
town, kind and period: publishing again returns the stored one, so neither the
hourly worker nor a second request ever changes what was published. Staff read the
bulletins of the towns where they hold ``orders.stats`` (another town's is 404).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import ORDERS_STATS
from app.authz.principal import Principal
from app.authz.scope import Place, Scope
from app.errors import OrgUnitNotFound
from app.kit.calendar import BUSINESS_TZ
from app.kit.pagination import BY_ID, paginate
from app.reporting import repository as report_repository
from app.reporting import rules
from app.reporting import service as report_service
from app.reporting.bulletins import repository
from app.reporting.bulletins.models import Bulletin
from app.reporting.bulletins.schemas import (
    BulletinContent,
    BulletinCreate,
    BulletinKind,
    BulletinOrder,
    BulletinPage,
    BulletinRead,
    BulletinSummary,
    RankedUnit,
)
from app.reporting.errors import BulletinNotFound, InvalidPeriod
from app.reporting.schemas import ChildStats, UnitRef

OVERDUE_LISTED = 100
SECONDED_LISTED = 10


def _town(town_id: int) -> Scope:
    return Scope.of([("town", town_id)])


def now() -> datetime:
    return datetime.now(BUSINESS_TZ).replace(microsecond=0)


# ---------------------------------------------------------------- periods


def period_of(kind: BulletinKind, start: date) -> rules.Period:
    """The week (Monday to Sunday) or calendar month starting on ``start``."""
    if kind is BulletinKind.weekly:
        if start.weekday() != 0:
            raise InvalidPeriod(
                f"周通报须从周一开始：{start}", f"a week starts on a Monday: {start}"
            )
        return rules.Period(start, start + timedelta(days=6))
    if start.day != 1:
        raise InvalidPeriod(f"月通报须从1日开始：{start}", f"a month starts on the 1st: {start}")
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return rules.Period(start, following - timedelta(days=1))


def last_finished(kind: BulletinKind, today: date) -> date:
    """The start of the latest period that ended before ``today``."""
    if kind is BulletinKind.weekly:
        return today - timedelta(days=today.weekday() + 7)
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _finished(kind: BulletinKind, start: date, today: date) -> rules.Period:
    period = period_of(kind, start)
    if period.to_date >= today:
        raise InvalidPeriod(
            f"统计期间尚未结束（至 {period.to_date}）",
            f"the period has not ended yet (it runs to {period.to_date})",
        )
    return period


# ---------------------------------------------------------------- publishing


@dataclass(frozen=True)
class Published:
    bulletin: BulletinRead
    created: bool
    """False when it had been published before (the stored one is returned)."""


async def publish(
    session: AsyncSession,
    town: UnitRef,
    kind: BulletinKind,
    start: date,
    *,
    as_of: datetime,
    by: Principal | None,
) -> Published:
    """Publish the town's bulletin for the finished period starting ``start``, once."""
    period = _finished(kind, start, as_of.astimezone(BUSINESS_TZ).date())
    existing = await repository.find(session, _town(town.id), kind.value, start)
    if existing is not None:
        return Published(_read(existing), created=False)
    content = await compute(session, town, kind, period, as_of)
    new_id = await repository.insert_once(
        session,
        {
            "town_id": town.id,
            "kind": kind.value,
            "period_start": period.from_date,
            "period_end": period.to_date,
            "content": content.model_dump(mode="json"),
            "generated_by": by.user_id if by else None,
        },
    )
    stored = await repository.find(session, _town(town.id), kind.value, start)
    assert stored is not None
    if new_id is not None:
        await audit_service.record(
            session,
            by,
            "stats.bulletin_publish",
            summary=f"{kind.value} bulletin of town #{town.id} for {period.from_date}"
            f"–{period.to_date}",
            target_type="bulletin",
            target_id=new_id,
            place=Place.town(town.id),
            actor_name=None if by else "worker",
        )
    return Published(_read(stored), created=new_id is not None)


async def publish_on_request(
    session: AsyncSession, principal: Principal, data: BulletinCreate
) -> Published:
    row = await repository.find_town(session, principal.scope(ORDERS_STATS), data.town_id)
    if row is None:
        raise OrgUnitNotFound()
    at = now()
    start = data.period_start or last_finished(data.kind, at.date())
    return await publish(
        session, UnitRef.model_validate(row._mapping), data.kind, start, as_of=at, by=principal
    )


async def towns_due(session: AsyncSession) -> list[int]:
    return await repository.live_towns(session)


async def publish_due(session: AsyncSession, town_id: int, kind: BulletinKind) -> bool:
    """The worker's step: the town's bulletin of the last finished period, if missing.

    A town that had received no order by the period's end (one set up since) gets none
    from the worker: there is nothing to report yet. Staff may still ask for it."""
    row = await repository.find_town(session, Scope.everything(), town_id)
    at = now()
    start = last_finished(kind, at.date())
    period = period_of(kind, start)
    if row is None or not await repository.has_orders_before(session, _town(town_id), period.end):
        return False
    published = await publish(
        session, UnitRef.model_validate(row._mapping), kind, start, as_of=at, by=None
    )
    return published.created


# ---------------------------------------------------------------- the content


async def compute(
    session: AsyncSession, town: UnitRef, kind: BulletinKind, period: rules.Period, as_of: datetime
) -> BulletinContent:
    """The KPI report of the town (communities ranked), the same over its grids, and the
    order lists, all with the settings in force on the period's last day. The worker
    acts for the system: every order of the town counts."""
    visible = Scope.everything()
    stats = await report_service.report(session, visible, town, town.id, period, as_of)
    by_grid = await report_service.report(
        session, visible, town, town.id, period, as_of, by_level="grid"
    )
    communities = {c.unit.id: c.unit for c in stats.by_child}
    grid_names = {g.unit.id: g.unit.name for g in by_grid.by_child}
    grid_parent = await repository.parents(session, _town(town.id), "grid")
    query = report_service.query_for(visible, town, period, stats.definitions.settings, as_of)
    names = {k: v.name for k, v in communities.items()}
    overdue = await report_repository.overdue_orders(session, query, OVERDUE_LISTED)
    seconded = await report_repository.most_seconded(session, query, SECONDED_LISTED)
    return BulletinContent(
        town=town,
        kind=kind,
        period=stats.period,
        as_of=as_of,
        summary=stats.summary,
        communities=[_ranked(c, None) for c in stats.by_child],
        grids=[
            _ranked(g, communities.get(grid_parent.get(g.unit.id) or 0)) for g in by_grid.by_child
        ],
        overdue_total=stats.summary.overdue,
        overdue=[_order(r, names, grid_names) for r in overdue],
        most_seconded=[_order(r, names, grid_names) for r in seconded],
        definitions=stats.definitions,
    )


def _ranked(child: ChildStats, community: UnitRef | None) -> RankedUnit:
    f = child.figures
    return RankedUnit(
        rank=child.rank,
        unit=child.unit,
        community=community,
        total=f.total,
        counted=f.counted,
        response_rate=f.response_rate,
        resolution_rate=f.resolution_rate,
        satisfaction_rate=f.satisfaction_rate,
        overdue=f.overdue,
        escalated=f.escalated,
    )


def _order(
    row: RowMapping, communities: Mapping[int, str], grids: Mapping[int, str]
) -> BulletinOrder:
    return BulletinOrder(
        id=row["id"],
        number=row["number"],
        title=row["title"],
        category=row["category"],
        status=row["status"],
        community=communities.get(row["community_id"] or 0),
        grid=grids.get(row["grid_id"] or 0),
        received_at=row["received_at"],
        resolve_due_at=row["resolve_due_at"],
        resolved_at=row["resolved_at"],
        escalation_level=row["escalation_level"],
        seconds_count=row["seconds_count"],
        seconds_in_period=row.get("seconds_in_period"),
    )


# ---------------------------------------------------------------- reading


def _read(b: Bulletin) -> BulletinRead:
    return BulletinRead(
        id=b.id,
        town_id=b.town_id,
        kind=BulletinKind(b.kind),
        period_start=b.period_start,
        period_end=b.period_end,
        generated_at=b.generated_at,
        generated_by_user_id=b.generated_by,
        content=BulletinContent.model_validate(b.content),
    )


async def get_bulletin(
    session: AsyncSession, principal: Principal, bulletin_id: int
) -> BulletinRead:
    found = await repository.get(session, principal.scope(ORDERS_STATS), bulletin_id)
    if found is None:
        raise BulletinNotFound()
    return _read(found)


async def list_bulletins(
    session: AsyncSession,
    principal: Principal,
    *,
    town_id: int | None,
    kind: BulletinKind | None,
    limit: int,
    cursor: str | None,
) -> BulletinPage:
    """Newest first, of the towns where the caller holds ``orders.stats``."""
    scope = principal.scope(ORDERS_STATS)
    if town_id is not None and await repository.find_town(session, scope, town_id) is None:
        raise OrgUnitNotFound()
    town = None if town_id is None else _town(town_id)

    async def fetch(after: int | None, n: int) -> list[Any]:
        return list(
            await repository.page(
                session, scope, town, kind.value if kind else None, after=after, limit=n
            )
        )

    rows, next_cursor = await paginate(BY_ID, cursor, limit, fetch, lambda r: r.id)
    return BulletinPage(
        items=[BulletinSummary.model_validate(r._mapping) for r in rows], next_cursor=next_cursor
    )
