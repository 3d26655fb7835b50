"""The double-entry core: post a balanced transaction exactly once.

- ``txn_key`` is unique: a business event (``order-close:42``) or an
  Idempotency-Key maps to one transaction, so it can never pay twice — a second
  post with the same key returns the first transaction (``created=False``).
- Member legs are applied with one guarded ``UPDATE … WHERE balance + :amount >= 0``
  each (backed by a CHECK), in account-id order so concurrent transactions cannot
  deadlock; a leg that would overdraw aborts with :class:`InsufficientPoints`.
  The same statement advances the account's hash chain.
- System accounts (a town's issuance and redemption accounts) are never updated:
  their postings are inserted and their balances derived (no hot row that every
  award in a town would queue on).
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import BusinessRuleViolation, Conflict
from app.points.models import PointsAccount, PointsPosting, PointsTransaction


class InsufficientPoints(Conflict):
    code = "points.insufficient_balance"
    message_zh = "积分余额不足"
    message_en = "Not enough points"


class UnbalancedTransaction(BusinessRuleViolation):
    code = "points.unbalanced"
    message_zh = "记账分录借贷不平衡"
    message_en = "The postings do not sum to zero"


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount: int


@dataclass(frozen=True)
class Posted:
    transaction: PointsTransaction
    created: bool


def chain_hash(
    prev_hash: str, account_id: int, seq: int, transaction_id: int, amount: int, balance_after: int
) -> str:
    """The hash a member posting carries; ``verify-ledger`` recomputes it."""
    content = f"{prev_hash}|{account_id}|{seq}|{transaction_id}|{amount}|{balance_after}"
    return hashlib.sha256(content.encode()).hexdigest()


_APPLY_MEMBER_LEG = text(
    """
    WITH old AS (
        SELECT id, last_hash FROM points_account WHERE id = CAST(:account AS bigint) FOR UPDATE
    )
    UPDATE points_account AS a
       SET balance = a.balance + CAST(:amount AS bigint),
           last_seq = a.last_seq + 1,
           last_hash = encode(sha256(convert_to(
               old.last_hash || '|' || a.id || '|' || (a.last_seq + 1)
               || '|' || CAST(:txn AS bigint) || '|' || CAST(:amount AS bigint)
               || '|' || (a.balance + CAST(:amount AS bigint)), 'UTF8')), 'hex')
      FROM old
     WHERE a.id = old.id AND a.kind = 'member' AND a.balance + CAST(:amount AS bigint) >= 0
 RETURNING a.balance, a.last_seq, old.last_hash AS prev_hash, a.last_hash
    """
)


async def post_transaction(
    session: AsyncSession,
    *,
    txn_key: str,
    kind: str,
    town_id: int,
    legs: list[Leg],
    bucket: str,
    reason: str | None = None,
    actor_user_id: int | None = None,
    reversal_of_id: int | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> Posted:
    """Post ``legs`` (summing to zero) once under ``txn_key``; ``bucket`` is
    ``earned`` or ``spent``: where member legs count in the period totals.

    ``occurred_at`` backdates a transaction recording a past business event (an
    import of history, the demo town): its period totals then fall in that period."""
    if len(legs) < 2 or sum(leg.amount for leg in legs) != 0 or any(not leg.amount for leg in legs):
        raise UnbalancedTransaction()
    inserted = await session.execute(
        insert(PointsTransaction)
        .values(
            txn_key=txn_key,
            kind=kind,
            town_id=town_id,
            reason=reason,
            actor_user_id=actor_user_id,
            reversal_of_id=reversal_of_id,
            data=data or {},
            **({"created_at": occurred_at} if occurred_at else {}),
        )
        .on_conflict_do_nothing(index_elements=["txn_key"])
        .returning(PointsTransaction)
    )
    transaction = inserted.scalar_one_or_none()
    if transaction is None:
        existing = await session.scalar(
            select(PointsTransaction).where(PointsTransaction.txn_key == txn_key)
        )
        assert existing is not None
        return Posted(existing, created=False)
    members = await _member_accounts(session, [leg.account_id for leg in legs])
    for leg in sorted(legs, key=lambda leg: leg.account_id):
        await _apply_leg(
            session, transaction.id, leg, members.get(leg.account_id), bucket, occurred_at
        )
    return Posted(transaction, created=True)


async def _member_accounts(session: AsyncSession, ids: list[int]) -> dict[int, PointsAccount]:
    rows = await session.scalars(
        select(PointsAccount).where(PointsAccount.id.in_(ids), PointsAccount.kind == "member")
    )
    return {account.id: account for account in rows}


async def _apply_leg(
    session: AsyncSession,
    txn_id: int,
    leg: Leg,
    member: PointsAccount | None,
    bucket: str,
    occurred_at: datetime | None,
) -> None:
    when = {"created_at": occurred_at} if occurred_at else {}
    if member is None:
        session.add(
            PointsPosting(
                transaction_id=txn_id, account_id=leg.account_id, amount=leg.amount, **when
            )
        )
        await session.flush()
        return
    row = (
        await session.execute(
            _APPLY_MEMBER_LEG, {"account": leg.account_id, "amount": leg.amount, "txn": txn_id}
        )
    ).one_or_none()
    if row is None:
        raise InsufficientPoints()
    balance, seq, prev_hash, new_hash = row
    session.add(
        PointsPosting(
            transaction_id=txn_id,
            account_id=leg.account_id,
            amount=leg.amount,
            seq=seq,
            balance_after=balance,
            prev_hash=prev_hash,
            hash=new_hash,
            **when,
        )
    )
    await session.flush()
    await _add_to_period_totals(session, txn_id, leg, bucket)


PERIODS = ("month", "quarter", "year")


def period_starts(day: date) -> dict[str, date]:
    quarter_month = 3 * ((day.month - 1) // 3) + 1
    return {
        "month": day.replace(day=1),
        "quarter": day.replace(month=quarter_month, day=1),
        "year": day.replace(month=1, day=1),
    }


_ADD_TO_PERIOD_TOTALS = text(
    # One statement for the month, quarter and year rows: the place of the member's
    # person and the period starts are computed here, from the business date of the
    # transaction row itself (not the application clock), so verify-ledger can
    # recompute them from created_at (``period_starts`` is the same arithmetic).
    "INSERT INTO points_period_total (account_id, period, period_start, earned, spent,"
    " town_id, community_id, grid_id, building_id, household_id)"
    " SELECT a.id, v.period,"
    " date_trunc(v.period, d.day::timestamp)::date,"
    " CAST(:earned AS bigint), CAST(:spent AS bigint),"
    " p.town_id, p.community_id, p.grid_id, p.building_id, p.household_id"
    " FROM points_account a JOIN person p ON p.id = a.person_id"
    " CROSS JOIN (SELECT (created_at AT TIME ZONE 'Asia/Shanghai')::date AS day"
    " FROM points_transaction WHERE id = CAST(:txn AS bigint)) d"
    " CROSS JOIN (VALUES ('month'), ('quarter'), ('year')) AS v(period)"
    " WHERE a.id = CAST(:id AS bigint)"
    " ON CONFLICT (account_id, period, period_start) DO UPDATE SET"
    " earned = points_period_total.earned + excluded.earned,"
    " spent = points_period_total.spent + excluded.spent"
)


async def _add_to_period_totals(session: AsyncSession, txn_id: int, leg: Leg, bucket: str) -> None:
    earned, spent = (leg.amount, 0) if bucket == "earned" else (0, -leg.amount)
    done = await session.execute(
        _ADD_TO_PERIOD_TOTALS,
        {"id": leg.account_id, "txn": txn_id, "earned": earned, "spent": spent},
    )
    if done.rowcount != len(PERIODS):  # type: ignore[attr-defined]
        raise RuntimeError(f"period totals of account {leg.account_id} not written")
