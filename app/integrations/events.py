"""Publishing domain events: the only way a domain announces a change.

``publish`` adds an outbox row to the caller's transaction, so a committed change
always has its event and a rolled-back change never has one. The row carries the
event's place in the hierarchy (the ancestor ids of the order, person or node it is
about), so the relay can tell whose scope it falls in without asking the domain again.

Two kinds of listener:

- *subscribers* (``subscribe``) run inside the publishing transaction, before
  ``publish`` returns (closing an order awards its points atomically, without the
  orders domain knowing about points). A subscriber that raises aborts the change.
- *consumers* (``consume``) run later, in the relay (``app.integrations.relay``): it
  takes committed events in order and hands each batch to every consumer inside the
  transaction that marks them published, so a consumer's rows (webhook deliveries,
  notifications, WeChat messages) exist exactly when the event counts as published.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Place, Placed
from app.db.base import ANCESTOR_COLUMNS
from app.integrations.models import OutboxEvent

Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
_subscribers: dict[str, list[Handler]] = {}


@dataclass(frozen=True)
class Consumer:
    """A relay consumer: ``handle(session, events)`` turns a batch of committed events
    (in order) into its own rows (inbox entries, deliveries to send) and returns how
    many it made. It runs in the relay's transaction: it flushes, never commits."""

    name: str
    handle: Callable[[AsyncSession, Sequence[OutboxEvent]], Awaitable[int]]


_consumers: dict[str, Consumer] = {}


def subscribe(event_type: str, handler: Handler) -> None:
    """Run ``handler(session, payload)`` in-transaction whenever ``event_type`` is published."""
    handlers = _subscribers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def consume(consumer: Consumer) -> None:
    """Register a relay consumer (once per name; importing its module registers it)."""
    _consumers[consumer.name] = consumer


def stop_consuming(name: str) -> None:
    _consumers.pop(name, None)


def consumers() -> list[Consumer]:
    return [_consumers[name] for name in sorted(_consumers)]


def place_of(event: OutboxEvent) -> Place | None:
    """Where the event happened; None for a deployment-wide event (no town)."""
    town = event.town_id
    if town is None:
        return None
    return Place(town, event.community_id, event.grid_id, event.building_id, event.household_id)


async def publish(
    session: AsyncSession,
    event_type: str,
    *,
    aggregate_type: str,
    aggregate_id: int | str,
    payload: dict[str, Any],
    town_id: int | None = None,
    place: Placed | None = None,
) -> OutboxEvent:
    """Write ``event_type`` to the outbox in the caller's transaction (and return it).

    ``place`` (anything with the ancestor ids) places the event in the hierarchy;
    without it the event sits at ``town_id`` (or nowhere: deployment-wide).
    Events of one aggregate reach every consumer in the order they were published.
    """
    ancestors: dict[str, int | None] = dict.fromkeys(ANCESTOR_COLUMNS)
    if place is not None:
        ancestors = {column: getattr(place, column) for column in ANCESTOR_COLUMNS}
    elif town_id is not None:
        ancestors["town_id"] = town_id
    event = OutboxEvent(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=payload,
        **ancestors,
    )
    session.add(event)
    await session.flush()
    for handler in _subscribers.get(event_type, ()):
        await handler(session, payload)
    return event
