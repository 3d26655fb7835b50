"""The job queue (procrastinate), on the same PostgreSQL as the data: no other broker.

Task modules register their tasks on ``queue`` at import; ``app.worker`` imports them
all and opens the queue. Keeping the queue apart from the worker lets task modules
import it without importing each other through ``app.worker``.
"""

import contextlib
from collections.abc import AsyncIterator

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.db.session import create_engine, create_session_factory

queue = procrastinate.App(connector=procrastinate.PsycopgConnector())


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
