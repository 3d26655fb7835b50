"""The orphan sweep: every hour, uploads never attached to an order within
``REDGRID_ORPHAN_FILE_HOURS`` are deleted, bytes and row (``service.purge_orphans``).

Batches run in their own transactions, so one failure holds back only its batch;
rows are claimed ``SKIP LOCKED``, so two overlapping runs share the work, and a
repeated run finds nothing left to do.
"""

import logging
from datetime import UTC, datetime

import procrastinate

import app.db.models  # noqa: F401  (every mapper configured before the first query)
from app.config import get_settings
from app.files import service
from app.queue import job_sessions, queue

logger = logging.getLogger(__name__)


@queue.periodic(cron="23 * * * *", periodic_id="purge-orphan-files")
@queue.task(name="files.purge_orphans", queue="maintenance", pass_context=True)
async def purge_orphans(context: procrastinate.JobContext, timestamp: int) -> int:
    settings = get_settings()
    deleted = 0
    async with job_sessions(context) as sessions:
        while True:
            async with sessions() as session, session.begin():
                batch = await service.purge_orphans(session, settings, datetime.now(UTC))
            deleted += batch
            if batch < service.ORPHAN_BATCH:
                break
    logger.info("orphan uploads purged", extra={"deleted": deleted})
    return deleted
