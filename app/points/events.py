"""``points.*`` outbox events: every change of the ledger announces itself in the
same transaction (a transactional outbox: no committed change without its event, no
event without its committed change)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.integrations import events
from app.points import repository
from app.points.models import PointsTransaction

AWARDED = "points.awarded"
DEDUCTED = "points.deducted"
REVERSED = "points.reversed"
REDEEMED = "points.redeemed"
AWARD_SKIPPED = "points.award_skipped"
RULE_CHANGED = "points.rule_changed"


async def publish_transaction(
    session: AsyncSession, event_type: str, transaction: PointsTransaction
) -> None:
    """The transaction with its legs and the member balances after them."""
    legs = await repository.postings_with_balance(session, transaction.id)
    payload: dict[str, Any] = {
        "transaction_id": transaction.id,
        "kind": transaction.kind,
        "town_id": transaction.town_id,
        "reason": transaction.reason,
        "reversal_of_id": transaction.reversal_of_id,
        "data": transaction.data,
        "legs": [
            {
                "account_id": leg.account_id,
                "account_kind": leg.kind,
                "person_id": leg.person_id,
                "amount": leg.amount,
                "balance_after": leg.balance_after,
            }
            for leg in legs
        ],
    }
    await events.publish(
        session,
        event_type,
        aggregate_type="points_transaction",
        aggregate_id=transaction.id,
        payload=payload,
        town_id=transaction.town_id,
    )


async def publish(
    session: AsyncSession,
    event_type: str,
    *,
    aggregate_type: str,
    aggregate_id: int,
    payload: dict[str, Any],
    town_id: int | None,
) -> None:
    await events.publish(
        session,
        event_type,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        payload=payload,
        town_id=town_id,
    )
