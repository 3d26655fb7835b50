"""Publishing domain events: the only way a domain announces a change.

``publish`` adds an outbox row to the caller's transaction, so a committed change
always has its event and a rolled-back change never has one. Nothing delivers the
rows yet: they stay in ``outbox_event`` (``published_at`` unset, never purged) for
a relay to webhook receivers that is still to be built.

Other domains may also *subscribe* to an event type: their handler runs inside the
same transaction, before ``publish`` returns (closing an order awards its points
atomically, without the orders domain knowing about points). A handler that
raises aborts the whole change.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.integrations.models import OutboxEvent

Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
_subscribers: dict[str, list[Handler]] = {}


def subscribe(event_type: str, handler: Handler) -> None:
    """Run ``handler(session, payload)`` in-transaction whenever ``event_type`` is published."""
    handlers = _subscribers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


async def publish(
    session: AsyncSession,
    event_type: str,
    *,
    aggregate_type: str,
    aggregate_id: int | str,
    payload: dict[str, Any],
    town_id: int | None = None,
) -> None:
    session.add(
        OutboxEvent(
            event_type=event_type,
            aggregate_type=aggregate_type,
            aggregate_id=str(aggregate_id),
            town_id=town_id,
            payload=payload,
        )
    )
    await session.flush()
    for handler in _subscribers.get(event_type, ()):
        await handler(session, payload)
