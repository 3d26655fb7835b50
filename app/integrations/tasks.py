"""Housekeeping of the integration tables: idempotency records are kept 48 hours
(the draft asks for at least 24), then deleted, so the table stays small; spent
rate-limit windows and nonces of signed requests go every five minutes."""

import logging

import procrastinate

from app.integrations.idempotency import purge_expired
from app.kit import nonces, ratelimit
from app.queue import job_sessions, queue

logger = logging.getLogger(__name__)


@queue.periodic(cron="23 * * * *", periodic_id="purge-idempotency-records")
@queue.task(name="integrations.purge_idempotency_records", queue="maintenance", pass_context=True)
async def purge_idempotency_records(context: procrastinate.JobContext, timestamp: int) -> int:
    async with job_sessions(context) as sessions, sessions() as session, session.begin():
        deleted = await purge_expired(session)
    logger.info("idempotency records purged", extra={"deleted": deleted})
    return deleted


@queue.periodic(cron="*/5 * * * *", periodic_id="purge-rate-limit-counters")
@queue.task(name="integrations.purge_rate_limit_counters", queue="maintenance", pass_context=True)
async def purge_rate_limit_counters(context: procrastinate.JobContext, timestamp: int) -> int:
    """Rate-limit windows that have passed (app/kit/ratelimit.py) are dropped."""
    async with job_sessions(context) as sessions, sessions() as session, session.begin():
        return await ratelimit.purge_expired(session)


@queue.periodic(cron="*/5 * * * *", periodic_id="purge-request-nonces")
@queue.task(name="integrations.purge_request_nonces", queue="maintenance", pass_context=True)
async def purge_request_nonces(context: procrastinate.JobContext, timestamp: int) -> int:
    """Nonces of signed requests past twice the timestamp window (app/kit/nonces.py)."""
    async with job_sessions(context) as sessions, sessions() as session, session.begin():
        return await nonces.purge_expired(session)
