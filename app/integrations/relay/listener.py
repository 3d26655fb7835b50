"""Waking the drain jobs the moment their rows commit.

The outbox (and each sender's table) NOTIFYs a channel from a statement trigger on
insert; PostgreSQL delivers a notification only when the inserting transaction
commits, and never for one that rolls back. Each worker process LISTENs here and
wakes the channel's job (``app.queue.wake``); because the job is deferred after the
commit, it always sees the rows that woke it. Notifications heard while a job is
still waiting coalesce into it. On (re)connecting every job is woken once, for what
committed while nobody listened; the minute sweep (``outbox.sweep``) covers the rest.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import psycopg
from psycopg import sql

from app.db.session import libpq_url

logger = logging.getLogger(__name__)

Waker = Callable[[], Awaitable[None]]


async def listen(
    database_url: str, wakers: Mapping[str, Waker], *, retry_seconds: float = 1.0
) -> None:
    """Calls ``wakers[channel]()`` after a NOTIFY on ``channel`` commits; runs until
    cancelled. Per channel at most one call runs at a time, and one more follows it
    if anything was heard meanwhile."""
    heard = {channel: asyncio.Event() for channel in wakers}
    callers = [
        asyncio.create_task(_call_when_heard(heard[channel], waker, retry_seconds))
        for channel, waker in wakers.items()
    ]
    try:
        while True:
            try:
                await _listen_once(database_url, heard)
            except (psycopg.Error, OSError) as exc:
                logger.warning("listener disconnected: %s", type(exc).__name__)
            await asyncio.sleep(retry_seconds)
    finally:
        for caller in callers:
            caller.cancel()
        await asyncio.gather(*callers, return_exceptions=True)


async def _listen_once(database_url: str, heard: Mapping[str, asyncio.Event]) -> None:
    # libpq keepalives: a connection to a vanished server fails within a minute rather
    # than leaving the listener waiting for notifications that will never come.
    conn = await psycopg.AsyncConnection.connect(
        libpq_url(database_url),
        autocommit=True,
        connect_timeout=10,
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
    )
    async with conn:
        for channel in heard:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        for event in heard.values():
            event.set()
        async for notification in conn.notifies():
            if notification.channel in heard:
                heard[notification.channel].set()


async def _call_when_heard(heard: asyncio.Event, waker: Waker, retry_seconds: float) -> None:
    while True:
        await heard.wait()
        heard.clear()
        try:
            await waker()
        except Exception as exc:  # the database may be away; try again shortly
            logger.warning("listener could not wake a job: %s", type(exc).__name__)
            await asyncio.sleep(retry_seconds)
            heard.set()
