"""Reversal (冲正): the only way a posted transaction is corrected.

A reversal is a new transaction whose legs negate the original's, pointing at it
(``reversal_of_id``, UNIQUE in the database, so a transaction is reversed at most
once). It counts in the period totals where the original counted: reversing an
award lowers *earned*, refunding a redemption lowers *spent*. Like any member leg,
it is refused when it would drive a balance below zero (points already spent).

The shop's cancellations use :func:`reverse` too (refund by reversal). The caller
checks who may reverse; this module only posts.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.points import events, repository
from app.points.errors import AlreadyReversed, NotReversible, TransactionNotFound
from app.points.ledger import Leg, Posted, post_transaction
from app.points.rules import TxnKind, bucket_of


def reversal_key(transaction_id: int) -> str:
    """The deterministic key of the reversal of a transaction."""
    return f"reversal:{transaction_id}"


async def reverse(
    session: AsyncSession,
    transaction_id: int,
    *,
    reason: str,
    actor_user_id: int | None,
    txn_key: str | None = None,
    data: dict[str, Any] | None = None,
) -> Posted:
    """Post the reversal of ``transaction_id`` and publish ``points.reversed``.

    Raises TransactionNotFound, NotReversible (a reversal), AlreadyReversed, and the
    ledger's InsufficientPoints when a member no longer holds the points.
    """
    # Locking the original row (no trigger fires on SELECT … FOR NO KEY UPDATE)
    # makes concurrent reversals of it queue, so the check below is reliable.
    original = await repository.get_transaction(session, transaction_id, lock=True)
    if original is None:
        raise TransactionNotFound()
    if original.kind == TxnKind.reversal:
        raise NotReversible()
    if await repository.reversal_of(session, original.id) is not None:
        raise AlreadyReversed()
    legs = [
        Leg(leg.account_id, -leg.amount) for leg in await repository.legs_of(session, original.id)
    ]
    posted = await post_transaction(
        session,
        txn_key=txn_key or reversal_key(original.id),
        kind=TxnKind.reversal,
        town_id=original.town_id,
        legs=legs,
        bucket=bucket_of(TxnKind.reversal, original.kind),
        reason=reason,
        actor_user_id=actor_user_id,
        reversal_of_id=original.id,
        data={"original_kind": original.kind, **(data or {})},
    )
    if not posted.created:
        raise AlreadyReversed()
    await events.publish_transaction(session, events.REVERSED, posted.transaction)
    return posted
