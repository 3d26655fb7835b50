"""Housekeeping of the integration tables: idempotency records are kept 48 hours
(the draft asks for at least 24), then deleted, so the table stays small."""

import logging

import procrastinate

from app.integrations.idempotency import purge_expired
from app.queue import job_sessions, queue

logger = logging.getLogger(__name__)


@queue.periodic(cron="23 * * * *", periodic_id="purge-idempotency-records")
@queue.task(name="integrations.purge_idempotency_records", queue="maintenance", pass_context=True)
async def purge_idempotency_records(context: procrastinate.JobContext, timestamp: int) -> int:
    async with job_sessions(context) as sessions, sessions() as session, session.begin():
        deleted = await purge_expired(session)
    logger.info("idempotency records purged", extra={"deleted": deleted})
    return deleted
