"""SQL of webhooks: subscriptions (scoped), deliveries (claimed in order), attempts."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.db.base import ANCESTOR_COLUMNS
from app.integrations.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

PENDING = "pending"


# ---------------------------------------------------------------- subscriptions


async def add_subscription(session: AsyncSession, subscription: WebhookSubscription) -> None:
    session.add(subscription)
    await session.flush()


async def get_subscription(
    session: AsyncSession, subscription_id: int, visible: ColumnElement[bool], *, lock: bool = False
) -> WebhookSubscription | None:
    query = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id, visible)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_subscriptions(
    session: AsyncSession, visible: ColumnElement[bool], *, after_id: int | None, limit: int
) -> Sequence[WebhookSubscription]:
    query = select(WebhookSubscription).where(visible)
    if after_id is not None:
        query = query.where(WebhookSubscription.id > after_id)
    rows = await session.execute(query.order_by(WebhookSubscription.id).limit(limit))
    return rows.scalars().all()


async def active_subscriptions(session: AsyncSession) -> Sequence[WebhookSubscription]:
    """Every active subscription (the relay matches each event against them)."""
    rows = await session.execute(
        select(WebhookSubscription)
        .where(WebhookSubscription.is_active.is_(True))
        .order_by(WebhookSubscription.id)
    )
    return rows.scalars().all()


async def delete_subscription(session: AsyncSession, subscription: WebhookSubscription) -> None:
    await session.delete(subscription)
    await session.flush()


async def mark_health(
    session: AsyncSession, healthy: Sequence[int], failing: dict[int, datetime]
) -> None:
    """A success clears ``failing_since``; a failure sets it unless already set. In id
    order, so concurrent senders never lock two subscriptions crosswise."""
    for subscription_id in sorted({*healthy, *failing}):
        column = WebhookSubscription.failing_since
        value: Any = None
        if subscription_id not in healthy:
            value = func.coalesce(column, failing[subscription_id])
        await session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == subscription_id)
            .values(failing_since=value)
            .execution_options(synchronize_session=False)
        )


async def disable_failing(
    session: AsyncSession, subscription_id: int, failing_before: datetime
) -> Row[Any] | None:
    """Disables the subscription if it is still active and has failed since before
    ``failing_before``; returns it when this call disabled it (once, whoever races)."""
    disabled = await session.execute(
        update(WebhookSubscription)
        .where(
            WebhookSubscription.id == subscription_id,
            WebhookSubscription.is_active.is_(True),
            WebhookSubscription.failing_since <= failing_before,
        )
        .values(
            is_active=False,
            disabled_reason="failing",
            disabled_at=func.now(),
            version=WebhookSubscription.version + 1,
        )
        .returning(
            WebhookSubscription.id,
            WebhookSubscription.url,
            WebhookSubscription.owner_subject,
            WebhookSubscription.failing_since,
            *(getattr(WebhookSubscription, column) for column in ANCESTOR_COLUMNS),
        )
        .execution_options(synchronize_session=False)
    )
    return disabled.one_or_none()


# ---------------------------------------------------------------- deliveries


async def add_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(WebhookDelivery), list(rows))


async def add_delivery(session: AsyncSession, delivery: WebhookDelivery) -> WebhookDelivery:
    session.add(delivery)
    await session.flush()
    await session.refresh(delivery)
    return delivery


def _is_head() -> ColumnElement[bool]:
    """No older delivery of the same subscription and aggregate is still waiting."""
    older = aliased(WebhookDelivery)
    return ~exists().where(
        older.status == PENDING,
        older.subscription_id == WebhookDelivery.subscription_id,
        older.ordering_key == WebhookDelivery.ordering_key,
        older.event_id < WebhookDelivery.event_id,
    )


async def claim_due(
    session: AsyncSession, limit: int
) -> Sequence[Row[WebhookDelivery, WebhookSubscription]]:
    """Locks up to ``limit`` due deliveries of active subscriptions, each the oldest
    waiting one of its aggregate (so a retrying delivery holds back the later events
    of its order, and two senders never send one aggregate out of order); locked rows
    are skipped, so concurrent senders never take the same delivery. The locks last
    until the caller's transaction ends: if the sender dies mid-delivery its
    connection drops, the locks go, and the delivery is taken again."""
    rows = await session.execute(
        select(WebhookDelivery, WebhookSubscription)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= func.now(),
            WebhookSubscription.is_active.is_(True),
            _is_head(),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    return rows.all()


async def next_due(session: AsyncSession) -> datetime | None:
    """When the next waiting head delivery (of an active subscription) falls due."""
    return (
        await session.execute(
            select(func.min(WebhookDelivery.next_attempt_at))
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(
                WebhookDelivery.status == PENDING,
                WebhookDelivery.next_attempt_at > func.now(),
                WebhookSubscription.is_active.is_(True),
                _is_head(),
            )
        )
    ).scalar()


async def add_attempts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(WebhookAttempt), list(rows))


async def list_deliveries(
    session: AsyncSession,
    subscription_id: int,
    *,
    status: str | None,
    before_id: int | None,
    limit: int,
) -> Sequence[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    rows = await session.execute(query.order_by(WebhookDelivery.id.desc()).limit(limit))
    return rows.scalars().all()


async def get_delivery(
    session: AsyncSession, subscription_id: int, delivery_id: int
) -> WebhookDelivery | None:
    return (
        await session.execute(
            select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.subscription_id == subscription_id,
            )
        )
    ).scalar_one_or_none()


async def attempts_of(session: AsyncSession, delivery_id: int) -> Sequence[WebhookAttempt]:
    rows = await session.execute(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.id)
    )
    return rows.scalars().all()


async def purge_finished(session: AsyncSession, before: datetime, *, limit: int) -> int:
    doomed = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status != PENDING, WebhookDelivery.finished_at < before)
        .limit(limit)
    )
    result = await session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(doomed)))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def pending_count(session: AsyncSession) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status == PENDING)
            )
        ).scalar_one()
    )
