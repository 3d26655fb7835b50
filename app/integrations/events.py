"""Publishing domain events: the only way a domain announces a change.

``publish`` adds an outbox row to the caller's transaction; the worker delivers
committed rows later (webhooks), so a rolled-back change never emits an event.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.integrations.models import OutboxEvent


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
