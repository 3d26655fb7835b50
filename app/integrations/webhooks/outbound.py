"""The worker side of webhooks: turning relayed events into deliveries, and sending
the deliveries that are due. Flush, never commit (the tasks own the transactions).

A delivery is sent while its row is locked (``repository.claim_due``) and recorded in
the same transaction: if the worker is killed or the database goes away before the
commit, the delivery is still pending and goes out again, under the same
``webhook-id``, so a receiver that saw it once can tell (at-least-once delivery, as
Standard Webhooks expects receivers to de-duplicate).
"""

import asyncio
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import principals
from app.authz.permissions import PII
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.config import Settings
from app.db.base import ANCESTOR_COLUMNS
from app.integrations import events
from app.integrations.models import OutboxEvent
from app.integrations.relay import service as relay_service
from app.integrations.webhooks import repository, rules, sender, signing
from app.integrations.webhooks.models import WebhookDelivery, WebhookSubscription

CONSUMER = "webhook"
DISABLED_EVENT = "webhook.disabled"


def node_scope(subscription: WebhookSubscription) -> Scope:
    """The subtree of the subscription's node (its own id is its deepest ancestor id)."""
    level = next(
        column.removesuffix("_id")
        for column in reversed(ANCESTOR_COLUMNS)
        if getattr(subscription, column) is not None
    )
    return Scope.of([(level, subscription.org_unit_id)])


def message_id(event_id: int) -> str:
    return f"msg_{event_id}"


# ---------------------------------------------------------------- relay consumer


async def fan_out(session: AsyncSession, batch: Sequence[OutboxEvent]) -> int:
    """One delivery per event and subscription that hears it: the event type matches,
    the event lies in the subscription's subtree, and the owner may read it there now
    (masked unless the owner holds ``pii`` there)."""
    subscriptions = [(s, node_scope(s)) for s in await repository.active_subscriptions(session)]
    if not subscriptions:
        return 0
    owners: dict[str, Principal | None] = {}
    rows: list[dict[str, Any]] = []
    for event in batch:
        permission = rules.read_permission(event.event_type)
        place = events.place_of(event)
        if permission is None or place is None:
            continue
        for subscription, subtree in subscriptions:
            if not rules.matches(subscription.event_types, event.event_type):
                continue
            if not subtree.covers(place):
                continue
            subject = subscription.owner_subject
            if subject not in owners:
                owners[subject] = await principals.load(session, subject)
            owner = owners[subject]
            if owner is None or not owner.scope(permission).covers(place):
                continue
            rows.append(_delivery_row(subscription, event, pii=owner.scope(PII).covers(place)))
    await repository.add_deliveries(session, rows)
    return len(rows)


def _delivery_row(
    subscription: WebhookSubscription, event: OutboxEvent, *, pii: bool
) -> dict[str, Any]:
    return {
        "subscription_id": subscription.id,
        "event_id": event.id,
        "event_type": event.event_type,
        "message_id": message_id(event.id),
        "ordering_key": f"{event.aggregate_type}:{event.aggregate_id}"[:100],
        "body": rules.render(event.event_type, event.occurred_at, event.payload, pii=pii),
    }


# ---------------------------------------------------------------- sending


@dataclass(frozen=True)
class Sent:
    deliveries: int
    outcomes: Counter[str]


async def deliver_due(
    session: AsyncSession, settings: Settings, clients: sender.Clients, *, limit: int
) -> Sent:
    """Sends up to ``limit`` due deliveries at once and records what happened."""
    due = await repository.claim_due(session, limit)
    if not due:
        return Sent(0, Counter())
    box = signing.SecretBox(settings.pii_key)
    now = datetime.now(UTC)
    pairs = [(row[0], row[1]) for row in due]
    results = await asyncio.gather(
        *(
            sender.send(
                clients,
                subscription.url,
                delivery.body,
                signing.headers(
                    delivery.message_id,
                    now,
                    delivery.body,
                    secrets_in_force(box, subscription, now),
                ),
                timeout_seconds=settings.webhook_timeout_seconds,
                allow_private=settings.webhook_allow_private_urls,
            )
            for delivery, subscription in pairs
        )
    )
    sent = [(d, s, r) for (d, s), r in zip(pairs, results, strict=True)]
    return Sent(len(due), await _record(session, settings, sent))


def secrets_in_force(
    box: signing.SecretBox, subscription: WebhookSubscription, now: datetime
) -> list[str]:
    found = [box.open(subscription.secret)]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret is not None and expires is not None and expires > now:
        found.append(box.open(subscription.previous_secret))
    return found


Outcome = tuple[WebhookDelivery, WebhookSubscription, sender.AttemptResult]


async def _record(
    session: AsyncSession, settings: Settings, sent: Sequence[Outcome]
) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    healthy: list[int] = []
    failing: dict[int, datetime] = {}
    for delivery, subscription, result in sent:
        _advance(delivery, result, settings.webhook_retry_schedule_seconds)
        outcomes[result.outcome] += 1
        if delivery.status != "pending":
            outcomes[f"delivery_{delivery.status}"] += 1
        if result.ok:
            healthy.append(subscription.id)
        else:
            failing.setdefault(subscription.id, result.attempted_at)
    await repository.add_attempts(
        session,
        [
            {
                "delivery_id": delivery.id,
                "attempted_at": result.attempted_at,
                "outcome": result.outcome,
                "status_code": result.status_code,
                "latency_ms": result.latency_ms,
                "response_excerpt": result.response_excerpt,
                "error": result.error,
            }
            for delivery, _, result in sent
        ],
    )
    await session.flush()
    await repository.mark_health(session, healthy, failing)
    await _disable_failing(session, settings, set(failing) - set(healthy))
    await relay_service.count(session, CONSUMER, outcomes)
    return outcomes


def _advance(
    delivery: WebhookDelivery, result: sender.AttemptResult, schedule: Sequence[float]
) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = result.attempted_at
    delivery.last_status_code = result.status_code
    if result.ok:
        delivery.status = "succeeded"
        delivery.finished_at = result.attempted_at
        return
    delay = rules.retry_delay(delivery.attempts, schedule, random.uniform(-1.0, 1.0))
    if delay is None:
        delivery.status = "failed"
        delivery.finished_at = result.attempted_at
    else:
        delivery.next_attempt_at = result.attempted_at + timedelta(seconds=delay)


async def _disable_failing(session: AsyncSession, settings: Settings, candidates: set[int]) -> None:
    """An endpoint failing for ``webhook_disable_after_days`` is disabled, and its owner
    told through the outbox (``webhook.disabled`` reaches their inbox)."""
    cutoff = datetime.now(UTC) - timedelta(days=settings.webhook_disable_after_days)
    for subscription_id in sorted(candidates):
        disabled = await repository.disable_failing(session, subscription_id, cutoff)
        if disabled is None:
            continue
        await events.publish(
            session,
            DISABLED_EVENT,
            aggregate_type="webhook_subscription",
            aggregate_id=disabled.id,
            payload={
                "subscription_id": disabled.id,
                "url": disabled.url,
                "owner": disabled.owner_subject,
                "reason": "failing",
                "failing_since": disabled.failing_since.isoformat()
                if disabled.failing_since
                else None,
            },
            place=disabled,
        )


async def next_due(session: AsyncSession) -> datetime | None:
    return await repository.next_due(session)


async def purge_finished(session: AsyncSession, retention_days: int, *, limit: int) -> int:
    before = datetime.now(UTC) - timedelta(days=retention_days)
    return await repository.purge_finished(session, before, limit=limit)


async def pending_count(session: AsyncSession) -> int:
    return await repository.pending_count(session)
