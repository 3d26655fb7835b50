"""The job worker: every task module registered on the queue, and the queue opened.

``redgrid worker`` runs the worker as its own process in production; under
``make run`` it runs inside the API process. ``open_queue`` points the queue at
the database the process resolved, for as long as it is open.
"""

import contextlib
from collections.abc import AsyncIterator

import procrastinate
from procrastinate import builtin_tasks

import app.audit.tasks
import app.integrations.tasks
import app.orders.tasks
import app.points.handlers  # noqa: F401  (closing an order in the auto-close job awards points)
from app.db.session import libpq_url
from app.queue import queue


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
