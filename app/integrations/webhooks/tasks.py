"""The webhook sender: ``webhooks.deliver`` sends due deliveries in a few parallel
lanes, batch after batch, each batch in its own transaction (its rows locked while they
are sent), until none is due; then it schedules itself for when the next retry falls
due. It is woken when
deliveries are inserted (the table NOTIFYs ``redgrid_webhooks`` on commit), at each
retry's time, and every minute by the sweep; any number may run at once."""

import asyncio
import logging
from datetime import UTC, datetime

import procrastinate

from app.config import get_settings
from app.integrations.webhooks import outbound, sender
from app.queue import job_sessions, queue, wake

logger = logging.getLogger(__name__)

DELIVER_TASK = "webhooks.deliver"
CHANNEL = "redgrid_webhooks"
"""NOTIFYed by a statement trigger on ``webhook_delivery`` inserts."""
PURGE_CHUNK = 5000


@queue.task(name=DELIVER_TASK, queue="webhooks", pass_context=True)
async def deliver(context: procrastinate.JobContext) -> int:
    settings = get_settings()
    clients = sender.Clients(settings.webhook_timeout_seconds)
    lanes = max(1, settings.webhook_lanes)
    try:
        async with job_sessions(context) as sessions:

            async def lane() -> int:
                sent = 0
                while True:
                    async with sessions() as session, session.begin():
                        done = await outbound.deliver_due(
                            session, settings, clients, limit=settings.webhook_batch_size
                        )
                    sent += done.deliveries
                    if done.deliveries == 0:
                        return sent

            sent = sum(await asyncio.gather(*(lane() for _ in range(lanes))))
            async with sessions() as session, session.begin():
                due = await outbound.next_due(session)
    finally:
        await clients.aclose()
    if due is not None and due > datetime.now(UTC):
        await wake(context.app, DELIVER_TASK, at=due)
    return sent


@queue.periodic(cron="37 * * * *", periodic_id="webhooks-purge")
@queue.task(name="webhooks.purge", queue="maintenance", pass_context=True)
async def purge_finished(context: procrastinate.JobContext, timestamp: int) -> int:
    """Finished deliveries (and their attempts) older than ``webhook_log_retention_days``."""
    retention = get_settings().webhook_log_retention_days
    purged = 0
    async with job_sessions(context) as sessions:
        while True:
            async with sessions() as session, session.begin():
                deleted = await outbound.purge_finished(session, retention, limit=PURGE_CHUNK)
            purged += deleted
            if deleted < PURGE_CHUNK:
                break
    logger.info("webhook deliveries purged", extra={"deleted": purged})
    return purged
