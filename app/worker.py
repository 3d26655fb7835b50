"""The job worker: every task module registered on the queue, and the queue opened.

``redgrid worker`` runs the worker as its own process in production; under
``make run`` it runs inside the API process. ``open_queue`` points the queue at
the database the process resolved, for as long as it is open.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import procrastinate
import psycopg
from procrastinate import builtin_tasks
from procrastinate.exceptions import ConnectorException

import app.audit.tasks
import app.files.tasks
import app.integrations.gov.handlers
import app.integrations.gov.tasks
import app.integrations.relay.tasks
import app.integrations.tasks
import app.integrations.webhooks.handlers
import app.integrations.webhooks.tasks
import app.integrations.wechat.handlers
import app.integrations.wechat.tasks
import app.notifications.handlers
import app.orders.tasks
import app.points.handlers  # (closing an order in the auto-close job awards points)
import app.reporting.bulletins.tasks
from app.db.session import libpq_url
from app.integrations.relay import listener
from app.queue import close_job_engines, queue, wake

DRAIN_JOBS = {
    app.integrations.relay.tasks.CHANNEL: app.integrations.relay.tasks.RELAY_TASK,
    app.integrations.webhooks.tasks.CHANNEL: app.integrations.webhooks.tasks.DELIVER_TASK,
    app.integrations.wechat.tasks.CHANNEL: app.integrations.wechat.tasks.SEND_TASK,
    app.integrations.gov.tasks.CHANNEL: app.integrations.gov.tasks.REPORT_TASK,
}
"""Channel NOTIFYed when rows commit → the job that drains them (``listener``)."""

logger = logging.getLogger(__name__)


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
        try:
            async with app.open_async():
                yield app
        finally:
            await close_job_engines()


async def run_worker(
    opened: procrastinate.App, database_url: str, *, retry_seconds: float = 2.0, **options: Any
) -> None:
    """Runs the job worker on ``opened`` (from ``open_queue``) with the listener beside
    it, which wakes the relay and the senders as soon as their rows commit, until
    cancelled (the caller turns SIGTERM into a cancellation). A worker that loses the
    database (a restart, a network cut) stops or fails; it is started again once the
    database is back, rather than leaving the process alive but idle. The jobs it had
    started are taken again later: every job here is idempotent."""

    def waker(task_name: str) -> listener.Waker:
        async def wake_job() -> None:
            await wake(opened, task_name)

        return wake_job

    wakers = {channel: waker(task_name) for channel, task_name in DRAIN_JOBS.items()}
    listening = asyncio.create_task(listener.listen(database_url, wakers))
    try:
        while True:
            try:
                await opened.run_worker_async(**options)
                reason = "stopped"  # procrastinate stops when a side task (LISTEN) fails
            except (ConnectorException, psycopg.Error, OSError) as exc:
                reason = type(exc).__name__
            logger.warning("worker %s; starting again in %s s", reason, retry_seconds)
            await asyncio.sleep(retry_seconds)
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
