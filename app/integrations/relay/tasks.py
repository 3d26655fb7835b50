"""The relay's jobs.

- ``outbox.relay`` drains the outbox: batch after batch, each in its own transaction,
  until nothing is waiting, then stops. It is deferred the moment events commit (the
  listener in ``app.integrations.relay.listener`` hears the outbox's NOTIFY), and
  every minute by ``outbox.sweep`` in case a wake-up was missed (worker down, database
  restarted). Any number may run at once: they take different events.
- The senders (``webhooks.deliver``, ``wechat.send``, ``gov.report``) are woken the same way: their
  tables NOTIFY on insert, so a batch that made deliveries wakes them as it commits.
- ``outbox.purge`` deletes published events after ``outbox_retention_hours``.
"""

import logging

import procrastinate

from app.config import get_settings
from app.integrations.relay import service
from app.queue import job_sessions, queue, wake

logger = logging.getLogger(__name__)

RELAY_TASK = "outbox.relay"
CHANNEL = "redgrid_outbox"
"""NOTIFYed by a statement trigger on ``outbox_event`` inserts (delivered on commit)."""
SWEPT_TASKS = ("outbox.relay", "webhooks.deliver", "wechat.send", "gov.report")
"""What the sweep wakes every minute: each drains whatever is due and stops."""
FINISHED_JOBS_KEPT_MINUTES = 10


@queue.task(name=RELAY_TASK, queue="outbox", pass_context=True)
async def relay_outbox(context: procrastinate.JobContext) -> int:
    batch_size = get_settings().relay_batch_size
    relayed = 0
    async with job_sessions(context) as sessions:
        while True:
            try:
                async with sessions() as session, session.begin():
                    done = await service.relay_batch(session, batch_size)
            except Exception:
                # A consumer failed on this batch: take it again event by event, so
                # only the event it cannot handle is set aside (a database outage
                # fails here too, and the job ends; the sweep starts the next one).
                logger.exception("relay batch failed; retrying event by event")
                async with sessions() as session, session.begin():
                    done = await service.relay_isolating(session, batch_size)
            relayed += done.events
            if done.events == 0:
                return relayed


@queue.periodic(cron="* * * * *", periodic_id="outbox-sweep")
@queue.task(name="outbox.sweep", queue="outbox", pass_context=True)
async def sweep(context: procrastinate.JobContext, timestamp: int) -> int:
    """Wakes every drain job, and forgets their finished jobs: there is one per burst
    of events, and each says nothing the outbox and delivery tables do not."""
    for task_name in SWEPT_TASKS:
        await wake(context.app, task_name)
    async with job_sessions(context) as sessions, sessions() as session, session.begin():
        return await service.forget_finished_jobs(
            session, SWEPT_TASKS, older_than_minutes=FINISHED_JOBS_KEPT_MINUTES
        )


@queue.periodic(cron="7 * * * *", periodic_id="outbox-purge")
@queue.task(name="outbox.purge", queue="maintenance", pass_context=True)
async def purge_published(context: procrastinate.JobContext, timestamp: int) -> int:
    """Deletes events published more than ``outbox_retention_hours`` ago, a chunk per
    transaction so the purge never holds many locks for long."""
    retention = get_settings().outbox_retention_hours
    purged = 0
    async with job_sessions(context) as sessions:
        while True:
            async with sessions() as session, session.begin():
                deleted = await service.purge_published(session, retention)
            purged += deleted
            if deleted < service.PURGE_CHUNK:
                break
    logger.info("published outbox events purged", extra={"deleted": purged})
    return purged
