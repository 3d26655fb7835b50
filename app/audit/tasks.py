"""Audit log retention: a daily job deletes events older than
``settings.audit_retention_days`` (never fewer than 180, 等保 2.0)."""

import logging

import procrastinate

from app.audit import service
from app.config import get_settings
from app.queue import job_sessions, queue

logger = logging.getLogger(__name__)


@queue.periodic(cron="41 2 * * *", periodic_id="purge-expired-audit-events")
@queue.task(name="audit.purge_expired_events", queue="maintenance", pass_context=True)
async def purge_expired_audit_events(context: procrastinate.JobContext, timestamp: int) -> int:
    """Runs in the worker, in its own transaction (the purge flag is per transaction)."""
    settings = get_settings()
    async with job_sessions(context) as sessions, sessions() as session, session.begin():
        deleted = await service.purge_expired(session, settings.audit_retention_days)
    logger.info("audit events purged", extra={"deleted": deleted})
    return deleted
