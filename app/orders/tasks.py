"""The order deadline job: every minute, escalate overdue orders (吹哨) and
auto-close resolved orders nobody answered (回访超时).

Each half runs in its own transaction, so a failure of one does not hold back
the other; both are idempotent, so an overlapping or repeated run changes nothing.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession

import app.db.models  # noqa: F401  (every mapper configured before the first query)
from app.config import get_settings
from app.db.session import create_engine, create_session_factory
from app.orders.steps.overdue import auto_close_resolved, escalate_overdue
from app.worker import queue

logger = logging.getLogger(__name__)

Job = Callable[[AsyncSession, datetime], Awaitable[int]]


@queue.periodic(cron="* * * * *", periodic_id="order-deadlines")
@queue.task(name="orders.run_deadlines", queue="orders", pass_context=True)
async def run_deadlines(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
    connector = context.app.connector
    assert isinstance(connector, procrastinate.PsycopgConnector)
    url = connector.pool.conninfo  # the database the worker opened its queue on
    assert isinstance(url, str)
    return await run_deadline_jobs(url)


async def run_deadline_jobs(database_url: str) -> dict[str, int]:
    engine = create_engine(get_settings(), database_url, pool_size=1, max_overflow=0)
    factory = create_session_factory(engine)
    jobs: dict[str, Job] = {"escalated": escalate_overdue, "auto_closed": auto_close_resolved}
    done: dict[str, int] = {}
    try:
        for name, job in jobs.items():
            async with factory() as session, session.begin():
                done[name] = await job(session, datetime.now(UTC))
    finally:
        await engine.dispose()
    logger.info("order deadlines processed", extra=done)
    return done
