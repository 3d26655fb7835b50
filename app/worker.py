"""Background work on a PostgreSQL-backed job queue (procrastinate).

The queue lives in the same database as the data, so no other broker is needed.
``redgrid worker`` runs the worker as its own process in production; under
``make run`` it runs inside the API process. A process opens the queue once,
with the database it resolved at start-up (``open_queue``).
"""

import contextlib
from collections.abc import AsyncIterator

import procrastinate
from procrastinate import builtin_tasks
from psycopg_pool import AsyncConnectionPool

from app.db.session import libpq_url

queue = procrastinate.App(connector=procrastinate.PsycopgConnector())


@queue.periodic(cron="17 3 * * *", periodic_id="prune-finished-jobs")
@queue.task(name="ops.prune_finished_jobs", queue="maintenance", pass_context=True)
async def prune_finished_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    """Deletes finished jobs older than 30 days so the queue tables stay small."""
    await builtin_tasks.remove_old_jobs(
        context, max_hours=24 * 30, remove_failed=True, remove_cancelled=True, remove_aborted=True
    )


@contextlib.asynccontextmanager
async def open_queue(database_url: str, *, max_size: int = 10) -> AsyncIterator[procrastinate.App]:
    pool = AsyncConnectionPool(
        libpq_url(database_url),
        open=False,
        min_size=1,
        max_size=max_size,
        check=AsyncConnectionPool.check_connection,
    )
    await pool.open(wait=True)
    try:
        async with queue.open_async(pool=pool):
            yield queue
    finally:
        await pool.close()


# Domain task modules register their tasks on import; they import ``queue`` above.
import app.audit.tasks  # noqa: E402, F401
import app.orders.tasks  # noqa: E402, F401
from app.points import handlers as _points_handlers  # noqa: E402, F401  (auto-close awards)
