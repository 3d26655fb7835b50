"""The order deadline job: every minute, escalate overdue orders (吹哨), report
departments that missed their arrival (部门报到超时) and auto-close resolved orders
nobody answered (回访超时).

Each part runs in its own transaction, so a failure of one does not hold back
the others; all are idempotent, so an overlapping or repeated run changes nothing.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession

import app.db.models  # noqa: F401  (every mapper configured before the first query)
from app.orders.steps.overdue import (
    auto_close_resolved,
    escalate_overdue,
    report_missed_arrivals,
)
from app.queue import job_sessions, queue

logger = logging.getLogger(__name__)

Job = Callable[[AsyncSession, datetime], Awaitable[int]]


@queue.periodic(cron="* * * * *", periodic_id="order-deadlines")
@queue.task(name="orders.run_deadlines", queue="orders", pass_context=True)
async def run_deadlines(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
    jobs: dict[str, Job] = {
        "escalated": escalate_overdue,
        "arrivals_missed": report_missed_arrivals,
        "auto_closed": auto_close_resolved,
    }
    done: dict[str, int] = {}
    async with job_sessions(context) as sessions:
        for name, job in jobs.items():
            async with sessions() as session, session.begin():
                done[name] = await job(session, datetime.now(UTC))
    logger.info("order deadlines processed", extra=done)
    return done
