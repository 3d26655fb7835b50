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

# The two steps that close an order (``app.orders.service.EVENT_TYPES``); only one of
# them is published per close, and the award key is unique anyway.
ORDER_CLOSE_EVENTS = ("order.confirmed", "order.auto_closed")


async def award_closed_order(session: AsyncSession, payload: dict[str, Any]) -> None:
    await service.award_for_order(session, int(payload["order_id"]))


for _event_type in ORDER_CLOSE_EVENTS:
    subscribe(_event_type, award_closed_order)
