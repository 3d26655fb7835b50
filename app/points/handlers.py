"""In-transaction subscribers: red points react to other domains' events.

Closing a service order (办结, by the resident's 回访 or by auto-close) awards its
points in the same transaction as the close, so the close and the award commit or
roll back together; the key ``order-close:<id>`` makes retries, parallel closes and
replays pay once. Importing this module registers the subscribers (``app.main``
and ``app.worker`` import it, so both the API and the auto-close job award).
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.integrations.events import subscribe
from app.points import service

# The orders domain names its outbox events after the step (``order.confirmed``,
# ``order.auto_closed``); the step names are subscribed too, in case a publisher
# uses them. Only one of them is published per close, and the award key is unique.
ORDER_CLOSE_EVENTS = (
    "order.confirmed",
    "order.auto_closed",
    "order.confirm",
    "order.auto_close",
)


async def award_closed_order(session: AsyncSession, payload: dict[str, Any]) -> None:
    order_id = payload.get("order_id", payload.get("id"))
    if order_id is None:
        return
    await service.award_for_order(session, int(order_id))


for _event_type in ORDER_CLOSE_EVENTS:
    subscribe(_event_type, award_closed_order)
