"""The step-report sender: ``gov.report`` sends due reports batch after batch, each
batch in its own transaction (its rows locked while they are sent), until none is due;
then it schedules itself for the next retry. It is woken when reports are inserted
(the table NOTIFYs ``redgrid_gov_reports`` on commit), at each retry's time, and every
minute by the relay's sweep; any number may run at once."""

from datetime import UTC, datetime

import procrastinate

from app.config import get_settings
from app.integrations.gov import outbound
from app.integrations.webhooks import sender
from app.queue import job_sessions, queue, wake

REPORT_TASK = "gov.report"
CHANNEL = "redgrid_gov_reports"
"""NOTIFYed by a statement trigger on ``gov_report`` inserts."""


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
