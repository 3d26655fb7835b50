"""Audit log retention: a daily job deletes events older than
``settings.audit_retention_days`` (never fewer than 180, 等保 2.0)."""

import logging

import procrastinate

from app.audit import service
from app.config import get_settings
from app.db.session import create_engine, create_session_factory
from app.worker import queue

logger = logging.getLogger(__name__)


@queue.periodic(cron="41 2 * * *", periodic_id="purge-expired-audit-events")
@queue.task(name="audit.purge_expired_events", queue="maintenance", pass_context=True)
async def purge_expired_audit_events(context: procrastinate.JobContext, timestamp: int) -> int:
    """Runs in the worker, in its own transaction (the purge flag is per transaction)."""
    settings = get_settings()
    connector = context.app.connector
    assert isinstance(connector, procrastinate.PsycopgConnector)
    url = connector.pool.conninfo  # the database the worker opened its queue on
    assert isinstance(url, str)
    engine = create_engine(settings, url, pool_size=1, max_overflow=0)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            deleted = await service.purge_expired(session, settings.audit_retention_days)
    finally:
        await engine.dispose()
    logger.info("audit events purged", extra={"deleted": deleted})
    return deleted
