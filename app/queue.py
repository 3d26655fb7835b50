"""The job queue (procrastinate), on the same PostgreSQL as the data: no other broker.

Task modules register their tasks on ``queue`` at import; ``app.worker`` imports them
all and opens the queue. Keeping the queue apart from the worker lets task modules
import it without importing each other through ``app.worker``.
"""

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

import procrastinate
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import get_settings
from app.db.session import create_engine, create_session_factory

queue = procrastinate.App(connector=procrastinate.PsycopgConnector())


JOB_POOL_SIZE = 10
"""Connections the jobs of one worker process share (a job holds one per lane)."""
_engines: dict[str, AsyncEngine] = {}


@contextlib.asynccontextmanager
async def job_sessions(
    context: procrastinate.JobContext,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the database the worker opened its queue on, for one job.

    The jobs of a worker process share one engine (``close_job_engines`` disposes of
    it with the queue): a job that connected afresh each time would pay a connection
    per run, and the drain jobs run many times a second under load.

    Jobs commit (each unit of work in its own ``session.begin()``); they are the
    only code besides the request's session dependency that does.
    """
    connector = context.app.connector
    assert isinstance(connector, procrastinate.PsycopgConnector)
    url = connector.pool.conninfo
    assert isinstance(url, str)
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = create_engine(
            get_settings(), url, pool_size=JOB_POOL_SIZE, max_overflow=0, pool_timeout=60
        )
    yield create_session_factory(engine)


async def close_job_engines() -> None:
    engines = list(_engines.values())
    _engines.clear()
    for engine in engines:
        await engine.dispose()


async def wake(app: procrastinate.App, task_name: str, *, at: datetime | None = None) -> None:
    """Defers ``task_name`` (a task that drains its own table and stops) unless one is
    already waiting: the queueing lock keeps at most one waiting job per task, or per
    task and second for a wake-up ``at`` a later time. A job that is waiting has not
    started, so it will see whatever the caller committed before calling this."""
    lock = task_name if at is None else f"{task_name}@{at.replace(microsecond=0).isoformat()}"
    with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
        await app.configure_task(task_name, queueing_lock=lock, schedule_at=at).defer_async()
