"""All SQL of red points (红色积分) outside the ledger core (``app.points.ledger``)
and the verification report (``app.points.verify``).

Visibility comes from the caller's ``Scope`` (``scope.clause(Model)``). Two lookups
match a town on purpose — a town's system accounts and the rules in force for a
town — and are listed as structural in tests/test_architecture.py.

Hot reads select columns (Core) rather than entities: the ledger updates account
rows with SQL, so an entity loaded earlier in the session could be stale, and the
statement and leaderboards are the request paths that run at district scale.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, literal, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Placed, Scope
from app.hierarchy.models import OrgUnit
from app.kit.calendar import BUSINESS_TZ
from app.orders.models import ServiceOrder
from app.people.models import Person
from app.points.models import (
    PointsAccount,
    PointsAdjustmentRequest,
    PointsPeriodTotal,
    PointsPosting,
    PointsRule,
    PointsTransaction,
)
from app.points.rules import SPENT_KINDS, RuleVersion

# ---------------------------------------------------------------- people and places


async def get_person(session: AsyncSession, person_id: int, scope: Scope) -> Person | None:
    return (
        await session.execute(select(Person).where(Person.id == person_id, scope.clause(Person)))
    ).scalar_one_or_none()


async def get_person_any(session: AsyncSession, person_id: int) -> Person | None:
    """A person by id without a scope: the subject of an award the system makes
    (an order's assignee) or of the caller's own account."""
    return await session.get(Person, person_id)


async def get_unit(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit | None:
    return (
        await session.execute(select(OrgUnit).where(OrgUnit.id == unit_id, scope.clause(OrgUnit)))
    ).scalar_one_or_none()


async def get_order(session: AsyncSession, order_id: int) -> ServiceOrder | None:
    """Fresh from the database (after an autoflush), even if the closing step
    changed the order with SQL after loading it into this session."""
    return (
        await session.execute(
            select(ServiceOrder)
            .where(ServiceOrder.id == order_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


# ---------------------------------------------------------------- accounts


@dataclass(frozen=True)
class AccountRow:
    id: int
    town_id: int
    person_id: int | None
    balance: int


_ACCOUNT_COLUMNS = (
    PointsAccount.id,
    PointsAccount.town_id,
    PointsAccount.person_id,
    PointsAccount.balance,
)


async def member_account(
    session: AsyncSession, town_id: int, person_id: int, *, for_update: bool = False
) -> AccountRow | None:
    """A person's account in a town (structural: the account's natural key)."""
    query = select(*_ACCOUNT_COLUMNS).where(
        PointsAccount.town_id == town_id,
        PointsAccount.kind == "member",
        PointsAccount.person_id == person_id,
    )
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).one_or_none()
    return None if row is None else AccountRow(row.id, row.town_id, row.person_id, row.balance)


async def insert_account(
    session: AsyncSession, *, kind: str, town_id: int, person_id: int | None
) -> None:
    """Insert unless it exists; a concurrent insert of the same account waits on the
    unique index, then does nothing (the caller selects the winner's row)."""
    await session.execute(
        insert(PointsAccount)
        .values(kind=kind, town_id=town_id, person_id=person_id)
        .on_conflict_do_nothing()
    )


async def system_account_ids(session: AsyncSession, town_id: int) -> dict[str, int]:
    """A town's issuance and redemption accounts (structural: the town's own)."""
    rows = await session.execute(
        select(PointsAccount.kind, PointsAccount.id).where(
            PointsAccount.town_id == town_id,
            PointsAccount.kind.in_(("issuance", "redemption")),
        )
    )
    return {row.kind: row.id for row in rows}


# ---------------------------------------------------------------- rules


_RULE_COLUMNS = (
    PointsRule.id,
    PointsRule.kind,
    PointsRule.key,
    PointsRule.points,
    PointsRule.town_id.is_not(None).label("town_specific"),
)


async def rules_in_force(
    session: AsyncSession, town_id: int, at: datetime | None = None
) -> list[RuleVersion]:
    """Versions valid at ``at`` (default: this transaction's now()) that are the
    town's own or the default (structural: matches the town, not a visibility rule)."""
    moment: Any = func.now() if at is None else literal(at)
    rows = await session.execute(select(*_RULE_COLUMNS).where(*_in_force(town_id, moment)))
    return [RuleVersion(r.id, r.kind, r.key, r.points, r.town_specific) for r in rows]


def _in_force(town_id: int, moment: Any) -> tuple[ColumnElement[bool], ...]:
    """Valid at ``moment`` and the town's own or the default."""
    return (
        PointsRule.valid_from <= moment,
        or_(PointsRule.valid_to.is_(None), PointsRule.valid_to > moment),
        or_(PointsRule.town_id == town_id, PointsRule.town_id.is_(None)),
    )


async def lock_rule_key(session: AsyncSession, kind: str, key: str, town_id: int | None) -> None:
    """Serialise changes of one rule so two cannot both leave an open version."""
    await session.execute(
        select(
            func.pg_advisory_xact_lock(
                func.hashtextextended(f"points_rule:{kind}:{key}:{town_id}", 0)
            )
        )
    )


async def close_current_rule(
    session: AsyncSession, kind: str, key: str, town_id: int | None
) -> PointsRule | None:
    """Close the open version of (kind, key, town) at now(); returns it, if any
    (structural: a town's own rule)."""
    town_match = PointsRule.town_id.is_(None) if town_id is None else PointsRule.town_id == town_id
    closed = await session.execute(
        update(PointsRule)
        .where(
            PointsRule.kind == kind,
            PointsRule.key == key,
            town_match,
            PointsRule.valid_to.is_(None),
        )
        .values(valid_to=func.now())
        .returning(PointsRule)
        .execution_options(synchronize_session=False)
    )
    return closed.scalars().first()


async def add_rule(session: AsyncSession, rule: PointsRule) -> PointsRule:
    session.add(rule)
    await session.flush()
    await session.refresh(rule)
    return rule


# ---------------------------------------------------------------- earnings for caps


async def business_today(session: AsyncSession) -> date:
    """Today in Asia/Shanghai by the database clock (this transaction's now())."""
    day: date = (
        await session.execute(text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date"))
    ).scalar_one()
    return day


async def earned_in_month(session: AsyncSession, account_id: int, month_start: date) -> int:
    """From the month's period total (one row, maintained by the ledger)."""
    earned = await session.scalar(
        select(PointsPeriodTotal.earned).where(
            PointsPeriodTotal.account_id == account_id,
            PointsPeriodTotal.period == "month",
            PointsPeriodTotal.period_start == month_start,
        )
    )
    return int(earned or 0)


async def earned_on_day(session: AsyncSession, account_id: int, day: date) -> int:
    """From the account's postings of the business day in earning transactions (the
    period totals have no day rows); reversals count where their original counted."""
    original = PointsTransaction.__table__.alias("original")
    spent_kinds = sorted(SPENT_KINDS)
    day_start = datetime.combine(day, time(), tzinfo=BUSINESS_TZ)
    total = await session.scalar(
        select(func.coalesce(func.sum(PointsPosting.amount), 0))
        .select_from(PointsPosting)
        .join(PointsTransaction, PointsTransaction.id == PointsPosting.transaction_id)
        .outerjoin(original, original.c.id == PointsTransaction.reversal_of_id)
        .where(
            PointsPosting.account_id == account_id,
            PointsPosting.created_at >= day_start,
            PointsPosting.created_at < day_start + timedelta(days=1),
            func.coalesce(original.c.kind, PointsTransaction.kind).not_in(spent_kinds),
        )
    )
    return int(total or 0)


# ---------------------------------------------------------------- transactions


async def get_transaction(
    session: AsyncSession, transaction_id: int, *, lock: bool = False
) -> PointsTransaction | None:
    """``lock`` takes FOR NO KEY UPDATE (allowed on the append-only table: no trigger
    fires) so two reversals of one transaction run one after the other."""
    query = select(PointsTransaction).where(PointsTransaction.id == transaction_id)
    if lock:
        query = query.with_for_update(key_share=True)
    return (await session.execute(query)).scalar_one_or_none()


async def transaction_by_key(session: AsyncSession, txn_key: str) -> PointsTransaction | None:
    return (
        await session.execute(select(PointsTransaction).where(PointsTransaction.txn_key == txn_key))
    ).scalar_one_or_none()


async def reversal_of(session: AsyncSession, transaction_id: int) -> PointsTransaction | None:
    return (
        await session.execute(
            select(PointsTransaction).where(PointsTransaction.reversal_of_id == transaction_id)
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class LegRow:
    account_id: int
    amount: int
    person_id: int | None


async def legs_of(session: AsyncSession, transaction_id: int) -> list[LegRow]:
    rows = await session.execute(
        select(PointsPosting.account_id, PointsPosting.amount, PointsAccount.person_id)
        .join(PointsAccount, PointsAccount.id == PointsPosting.account_id)
        .where(PointsPosting.transaction_id == transaction_id)
        .order_by(PointsPosting.id)
    )
    return [LegRow(r.account_id, r.amount, r.person_id) for r in rows]


async def count_people_in_scope(
    session: AsyncSession, person_ids: Sequence[int], scope: Scope
) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Person)
        .where(Person.id.in_(person_ids), scope.clause(Person))
    )
    return int(count or 0)


LegBalanceRow = Row[int, str, int | None, int, int | None]
"""account_id, kind, person_id, amount, balance_after."""
StatementRow = Row[int, int, int, int | None, datetime, str, str | None, int | None]
RankRow = Row[int, int, int, int | None, int, str]
"""account_id, earned, spent, person_id, balance, name."""


async def postings_with_balance(
    session: AsyncSession, transaction_id: int
) -> Sequence[LegBalanceRow]:
    rows = await session.execute(
        select(
            PointsPosting.account_id,
            PointsAccount.kind,
            PointsAccount.person_id,
            PointsPosting.amount,
            PointsPosting.balance_after,
        )
        .join(PointsAccount, PointsAccount.id == PointsPosting.account_id)
        .where(PointsPosting.transaction_id == transaction_id)
        .order_by(PointsPosting.id)
    )
    return rows.all()


async def person_place(session: AsyncSession, person_id: int) -> Placed | None:
    """The ancestor ids of where a person lives (to place their points events)."""
    return (
        await session.execute(
            select(
                Person.town_id,
                Person.community_id,
                Person.grid_id,
                Person.building_id,
                Person.household_id,
            ).where(Person.id == person_id)
        )
    ).one_or_none()


# ---------------------------------------------------------------- reading


async def summary_totals(
    session: AsyncSession, account_id: int, starts: dict[str, date]
) -> tuple[dict[str, tuple[int, int]], tuple[int, int]]:
    """(earned, spent) of the current month, quarter and year, and of all time (the sum
    of the yearly rows: one row per year, never a scan of postings) — one statement over
    the account's period rows."""
    T = PointsPeriodTotal
    current = {
        period: and_(T.period == period, T.period_start == start)
        for period, start in starts.items()
    }
    yearly = T.period == "year"
    columns = [
        func.coalesce(func.sum(column).filter(where), 0)
        for where in (*current.values(), yearly)
        for column in (T.earned, T.spent)
    ]
    row = (await session.execute(select(*columns).where(T.account_id == account_id))).one()
    figures = [int(value) for value in row]
    totals = {period: (figures[2 * n], figures[2 * n + 1]) for n, period in enumerate(current)}
    return totals, (figures[-2], figures[-1])


async def statement(
    session: AsyncSession, account_id: int, before_id: int | None, limit: int
) -> Sequence[StatementRow]:
    """Newest first: an index range scan on (account_id, id) reading balance_after,
    so a page costs the same at any depth and for any account size."""
    query = (
        select(
            PointsPosting.id,
            PointsPosting.transaction_id,
            PointsPosting.amount,
            PointsPosting.balance_after,
            PointsPosting.created_at,
            PointsTransaction.kind,
            PointsTransaction.reason,
            PointsTransaction.reversal_of_id,
        )
        .join(PointsTransaction, PointsTransaction.id == PointsPosting.transaction_id)
        .where(PointsPosting.account_id == account_id)
    )
    if before_id is not None:
        query = query.where(PointsPosting.id < before_id)
    rows = await session.execute(query.order_by(PointsPosting.id.desc()).limit(limit))
    return rows.all()


@dataclass(frozen=True)
class RankKey:
    earned: int
    account_id: int


async def ranking(
    session: AsyncSession,
    *,
    period: str,
    period_start: date,
    subtree: Scope,
    scope: Scope,
    after: RankKey | None,
    limit: int,
) -> Sequence[RankRow]:
    """Earned desc, ties by account id desc, over the period totals of a subtree the
    caller sees. The (period, period_start, <level>_id, earned, account_id) indexes,
    walked backwards, give exactly this order, so a page reads ``limit`` index
    entries — not the subtree, not the members tied on the same points — and only
    those rows are joined to their account and person."""
    total = PointsPeriodTotal
    page = select(total.account_id, total.earned, total.spent).where(
        total.period == period,
        total.period_start == period_start,
        subtree.clause(total),
        scope.clause(total),
    )
    if after is not None:
        page = page.where(tuple_(total.earned, total.account_id) < (after.earned, after.account_id))
    ranked = page.order_by(total.earned.desc(), total.account_id.desc()).limit(limit).subquery()
    rows = await session.execute(
        select(
            ranked.c.account_id,
            ranked.c.earned,
            ranked.c.spent,
            PointsAccount.person_id,
            PointsAccount.balance,
            Person.name,
        )
        .join(PointsAccount, PointsAccount.id == ranked.c.account_id)
        .join(Person, Person.id == PointsAccount.person_id)
        .order_by(ranked.c.earned.desc(), ranked.c.account_id.desc())
    )
    return rows.all()


async def rule_rows_in_force(session: AsyncSession, town_id: int) -> Sequence[PointsRule]:
    """The versions in force now for a town: its own and the defaults (structural, like
    ``rules_in_force``), the town's first."""
    query = (
        select(PointsRule)
        .where(*_in_force(town_id, func.now()))
        .order_by(PointsRule.kind, PointsRule.key, PointsRule.town_id.is_(None))
    )
    return (await session.scalars(query)).all()


# ---------------------------------------------------------------- adjustment requests (四眼原则)


async def add_adjustment_request(
    session: AsyncSession, request: PointsAdjustmentRequest
) -> PointsAdjustmentRequest:
    session.add(request)
    await session.flush()
    return request


async def adjustment_request_by_key(
    session: AsyncSession, request_key: str
) -> PointsAdjustmentRequest | None:
    return (
        await session.execute(
            select(PointsAdjustmentRequest).where(
                PointsAdjustmentRequest.request_key == request_key
            )
        )
    ).scalar_one_or_none()


async def get_adjustment_request(
    session: AsyncSession, request_id: int, scope: Scope, *, for_update: bool = False
) -> PointsAdjustmentRequest | None:
    """``for_update`` holds the row until the transaction ends, so two approvers at
    once decide one after the other and the second sees the first's decision."""
    query = select(PointsAdjustmentRequest).where(
        PointsAdjustmentRequest.id == request_id, scope.clause(PointsAdjustmentRequest)
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def list_adjustment_requests(
    session: AsyncSession, scope: Scope, status: str | None, before_id: int | None, limit: int
) -> Sequence[PointsAdjustmentRequest]:
    query = select(PointsAdjustmentRequest).where(scope.clause(PointsAdjustmentRequest))
    if status is not None:
        query = query.where(PointsAdjustmentRequest.status == status)
    if before_id is not None:
        query = query.where(PointsAdjustmentRequest.id < before_id)
    query = query.order_by(PointsAdjustmentRequest.id.desc()).limit(limit)
    return (await session.scalars(query)).all()
