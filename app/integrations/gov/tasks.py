"""The step-report sender: ``gov.report`` sends due reports batch after batch, each
batch in its own transaction (its rows locked while they are sent), until none is due;
then it schedules itself for the next retry. It is woken when reports are inserted
(the table NOTIFYs ``redgrid_gov_reports`` on commit), at each retry's time, and every
minute by the relay's sweep; any number may run at once."""

import logging
from datetime import UTC, datetime

import procrastinate

from app.config import get_settings
from app.integrations.gov import outbound
from app.integrations.webhooks import sender
from app.queue import job_sessions, queue, wake

logger = logging.getLogger(__name__)

REPORT_TASK = "gov.report"
CHANNEL = "redgrid_gov_reports"
"""NOTIFYed by a statement trigger on ``gov_report`` inserts."""
PURGE_CHUNK = 5000


@queue.task(name=REPORT_TASK, queue="webhooks", pass_context=True)
async def report(context: procrastinate.JobContext) -> int:
    settings = get_settings()
    clients = sender.Clients(settings.webhook_timeout_seconds)
    sent = 0
    try:
        async with job_sessions(context) as sessions:
            while True:
                async with sessions() as session, session.begin():
                    done = await outbound.deliver_due(
                        session, settings, clients, limit=settings.webhook_batch_size
                    )
                sent += done.reports
                if done.reports == 0:
                    break
            async with sessions() as session, session.begin():
                due = await outbound.next_due(session)
    finally:
        await clients.aclose()
    if due is not None and due > datetime.now(UTC):
        await wake(context.app, REPORT_TASK, at=due)
    return sent


@queue.periodic(cron="41 * * * *", periodic_id="gov-reports-purge")
@queue.task(name="gov.purge_reports", queue="maintenance", pass_context=True)
async def purge_finished(context: procrastinate.JobContext, timestamp: int) -> int:
    """Finished reports older than ``webhook_log_retention_days`` (the delivery log's
    retention), a chunk per transaction."""
    retention = get_settings().webhook_log_retention_days
    purged = 0
    async with job_sessions(context) as sessions:
        while True:
            async with sessions() as session, session.begin():
                deleted = await outbound.purge_finished(session, retention, limit=PURGE_CHUNK)
            purged += deleted
            if deleted < PURGE_CHUNK:
                break
    logger.info("step reports purged", extra={"deleted": purged})
    return purged
