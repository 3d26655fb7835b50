"""The 通报 job: every hour, publish each live town's bulletins of the last finished
week and month that are not published yet (a town with no order by the period's end
has nothing to report and gets none).

Each town and kind runs in its own transaction, so one town's failure holds back no
other; publishing is once per town, kind and period (a unique key), so an overlapping
or repeated run publishes nothing twice and a missed hour is caught up by the next.
"""

import logging

import procrastinate

import app.db.models  # noqa: F401  (every mapper configured before the first query)
from app.queue import job_sessions, queue
from app.reporting.bulletins import service
from app.reporting.bulletins.schemas import BulletinKind

logger = logging.getLogger(__name__)


@queue.periodic(cron="7 * * * *", periodic_id="bulletins")
@queue.task(name="reporting.publish_bulletins", queue="reporting", pass_context=True)
async def publish_bulletins(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
    published = {kind.value: 0 for kind in BulletinKind}
    async with job_sessions(context) as sessions:
        async with sessions() as session:
            towns = await service.towns_due(session)
        for town_id in towns:
            for kind in BulletinKind:
                async with sessions() as session, session.begin():
                    if await service.publish_due(session, town_id, kind):
                        published[kind.value] += 1
    logger.info("bulletins published", extra=published)
    return published
