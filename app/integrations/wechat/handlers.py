"""Subscribe messages hear the relay: importing this module registers the consumer (the
worker imports it). The templates are read from the settings as events arrive."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.integrations import events
from app.integrations.models import OutboxEvent
from app.integrations.wechat import outbound


async def make_messages(session: AsyncSession, batch: Sequence[OutboxEvent]) -> int:
    return await outbound.make_messages(session, get_settings(), batch)


events.consume(events.Consumer(name=outbound.CONSUMER, handle=make_messages))
