"""Reading red points: balances and totals, statements, leaderboards, the 公示 list.

Each read is a handful of index lookups whatever the ledger's size:
- the balance is a column of the account row, kept by the ledger;
- totals per month, quarter and year are rows of ``points_period_total``;
- a statement page is an index range scan on postings (account_id, id), newest
  first, reading the running balance stored on each posting (``balance_after``);
- leaderboards read ``points_period_total`` through its (period, period_start,
  <level>_id, earned) indexes, which also give the order.

A member always reads their own account; anyone else needs ``points.read`` (403
without it anywhere) over the person (404 outside it, as if it did not exist).
"""

from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import Field, Strict
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import POINTS_READ
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.errors import Forbidden
from app.hierarchy.models import OrgUnit
from app.kit.calendar import BUSINESS_TZ
from app.kit.masking import mask_name
from app.kit.pagination import BY_ID, Keyset, paginate
from app.kit.types import BigInt, Id
from app.people.models import Person
from app.points import accounts, repository
from app.points.errors import NoLinkedPerson, PersonNotFound, TransactionNotFound, UnitNotFound
from app.points.ledger import period_starts
from app.points.repository import RankKey, RankRow
from app.points.rules import TxnKind
from app.points.schemas import (
    AccountSummary,
    AllTimeTotals,
    Leaderboard,
    LeaderboardEntry,
    Period,
    PeriodTotals,
    PublicList,
    PublicListEntry,
    RankingQuery,
    StatementEntry,
    StatementPage,
    StatementQuery,
    TransactionRead,
)
from app.points.service import present_transaction


async def _readable_person(session: AsyncSession, principal: Principal, person_id: int) -> Person:
    if principal.person_id == person_id:
        person = await repository.get_person_any(session, person_id)
    elif not principal.has(POINTS_READ):
        raise Forbidden()
    else:
        person = await repository.get_person(session, person_id, principal.scope(POINTS_READ))
    if person is None:
        raise PersonNotFound()
    return person


def _own_person_id(principal: Principal) -> int:
    if principal.person_id is None:
        raise NoLinkedPerson()
    return principal.person_id


# ---------------------------------------------------------------- balance and totals


async def account_summary(
    session: AsyncSession, principal: Principal, person_id: int
) -> AccountSummary:
    person = await _readable_person(session, principal, person_id)
    today = await repository.business_today(session)
    starts = period_starts(today)
    account = await accounts.existing_member_account(session, person.town_id, person.id)
    totals, (earned, spent) = (
        ({}, (0, 0))
        if account is None
        else await repository.summary_totals(session, account.id, starts)
    )

    def period(name: str) -> PeriodTotals:
        got = totals.get(name, (0, 0))
        return PeriodTotals(period_start=starts[name], earned=got[0], spent=got[1])

    return AccountSummary(
        person_id=person.id,
        account_id=None if account is None else account.id,
        town_id=person.town_id,
        balance=0 if account is None else account.balance,
        month=period("month"),
        quarter=period("quarter"),
        year=period("year"),
        all_time=AllTimeTotals(earned=earned, spent=spent),
    )


async def my_summary(session: AsyncSession, principal: Principal) -> AccountSummary:
    return await account_summary(session, principal, _own_person_id(principal))


# ---------------------------------------------------------------- statement


async def statement(
    session: AsyncSession, principal: Principal, person_id: int, query: StatementQuery
) -> StatementPage:
    """Newest first; each entry carries the balance right after it (keyset pages)."""
    BY_ID.decode(query.cursor)  # a tampered cursor is a 400 even before the account exists
    person = await _readable_person(session, principal, person_id)
    account = await accounts.existing_member_account(session, person.town_id, person.id)
    if account is None:
        return StatementPage(person_id=person.id, account_id=None, balance=0, items=[])
    account_id = account.id
    rows, next_cursor = await paginate(
        BY_ID,
        query.cursor,
        query.limit,
        lambda before, n: repository.statement(session, account_id, before, n),
        key=lambda row: row.id,
    )
    items = [
        StatementEntry(
            posting_id=row.id,
            transaction_id=row.transaction_id,
            kind=TxnKind(row.kind),
            amount=row.amount,
            balance_after=row.balance_after,
            reason=row.reason,
            reversal_of_id=row.reversal_of_id,
            created_at=row.created_at,
        )
        for row in rows
    ]
    return StatementPage(
        person_id=person.id,
        account_id=account.id,
        balance=account.balance,
        items=items,
        next_cursor=next_cursor,
    )


async def my_statement(
    session: AsyncSession, principal: Principal, query: StatementQuery
) -> StatementPage:
    return await statement(session, principal, _own_person_id(principal), query)


async def get_transaction(
    session: AsyncSession, principal: Principal, transaction_id: int
) -> TransactionRead:
    """Visible to whoever reads every member it touched (a member: their own)."""
    txn = await repository.get_transaction(session, transaction_id)
    people = {leg.person_id for leg in await repository.legs_of(session, transaction_id)}
    people.discard(None)
    if txn is None or (not people and not principal.is_superuser):
        raise TransactionNotFound()
    own = {principal.person_id} if principal.person_id is not None else set()
    others = sorted(p for p in people - own if p is not None)
    if others:
        # Without points.read another member's transaction is as unseen as a missing one.
        seen = await repository.count_people_in_scope(session, others, principal.scope(POINTS_READ))
        if seen != len(others):
            raise TransactionNotFound()
    return await present_transaction(session, txn)


# ---------------------------------------------------------------- rankings


def _period_end(start: date, period: Period) -> date:
    months = {Period.month: 1, Period.quarter: 3, Period.year: 12}[period]
    month = start.month - 1 + months
    following = date(start.year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


Position = Annotated[int, Strict(), Field(ge=0, le=2**63 - 1)]
_RANKED: Keyset[tuple[int, int, int]] = Keyset(BigInt, Id, Position)
"""Earned, account id (both descending) and the position of the last row served."""


async def _ranked(
    session: AsyncSession, principal: Principal, query: RankingQuery
) -> tuple[OrgUnit, date, list[tuple[int, RankRow]], str | None]:
    """The visible unit, the period's first day, (position, row) of the page, and
    the next cursor. The unit must be visible with ``points.read`` (else 404); the
    ranking covers its subtree, within the caller's scope."""
    scope = principal.scope(POINTS_READ)
    unit = await repository.get_unit(session, query.unit_id, scope)
    if unit is None:
        raise UnitNotFound()
    day = query.date or await repository.business_today(session)
    start = period_starts(day)[query.period.value]
    after = _RANKED.decode(query.cursor)
    position = after[2] if after else 0
    rows, cursor = await paginate(
        _RANKED,
        query.cursor,
        query.limit,
        lambda key, n: repository.ranking(
            session,
            period=query.period.value,
            period_start=start,
            subtree=Scope.of([(unit.level, unit.id)]),
            scope=scope,
            after=None if key is None else RankKey(earned=key[0], account_id=key[1]),
            limit=n,
        ),
        # A next page exists only when this one is full, so its last row is at position + limit.
        key=lambda row: (row.earned, row.account_id, position + query.limit),
    )
    page = [(position + i + 1, row) for i, row in enumerate(rows)]
    return unit, start, page, cursor


async def leaderboard(
    session: AsyncSession, principal: Principal, query: RankingQuery
) -> Leaderboard:
    """Earned in the period, highest first; ties by account id (descending)."""
    unit, start, page, cursor = await _ranked(session, principal, query)
    return Leaderboard(
        unit_id=unit.id,
        period=query.period,
        period_start=start,
        items=[
            LeaderboardEntry(
                position=position,
                person_id=row.person_id,
                account_id=row.account_id,
                name=row.name,
                earned=row.earned,
                spent=row.spent,
            )
            for position, row in page
        ],
        next_cursor=cursor,
    )


async def public_list(
    session: AsyncSession, principal: Principal, query: RankingQuery
) -> PublicList:
    """积分公示: the members of the subtree with points activity in the period, with
    names partly hidden (PIPL) so the list can be posted publicly."""
    unit, start, page, cursor = await _ranked(session, principal, query)
    return PublicList(
        unit_id=unit.id,
        unit_name=unit.name,
        period=query.period,
        period_start=start,
        period_end=_period_end(start, query.period),
        generated_at=datetime.now(BUSINESS_TZ),
        items=[
            PublicListEntry(
                position=position,
                name=mask_name(row.name),
                earned=row.earned,
                spent=row.spent,
                balance=row.balance,
            )
            for position, row in page
        ],
        next_cursor=cursor,
    )
