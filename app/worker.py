"""Background work on a PostgreSQL-backed job queue (procrastinate).

The queue lives in the same database as the data, so no other broker is needed.
``redgrid worker`` runs the worker as its own process in production; under
``make run`` it runs inside the API process. ``open_queue`` points the queue at
the database the process resolved, for as long as it is open.
"""

import contextlib
from collections.abc import AsyncIterator

import procrastinate
from procrastinate import builtin_tasks
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.db.session import create_engine, create_session_factory, libpq_url

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
    # A fresh connector each time (procrastinate's documented replace_connector), so
    # the queue can be opened again after closing, e.g. by successive tests.
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(database_url), min_size=1, max_size=max_size
    )
    with queue.replace_connector(connector) as app:
        async with app.open_async():
            yield app


@contextlib.asynccontextmanager
async def job_sessions(
    context: procrastinate.JobContext,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the database the worker opened its queue on, for one job.

    Jobs commit (each unit of work in its own ``session.begin()``); they are the
    only code besides the request's session dependency that does.
    """
    connector = context.app.connector
    assert isinstance(connector, procrastinate.PsycopgConnector)
    url = connector.pool.conninfo
    assert isinstance(url, str)
    engine = create_engine(get_settings(), url, pool_size=1, max_overflow=0)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


# Domain task modules register their tasks on import; they import ``queue`` above.
import app.audit.tasks  # noqa: E402
import app.integrations.tasks  # noqa: E402
import app.orders.tasks  # noqa: E402, F401
from app.points import handlers as _points_handlers  # noqa: E402, F401  (auto-close awards)
