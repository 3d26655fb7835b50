"""Engine, sessions, and the one-transaction-per-request dependency.

A request gets one session from one pooled connection; the session dependency
commits after the handler returns and *before* the response is sent
(``Depends(scope="function")``, FastAPI >= 0.121), so a client never sees a
success that was not durable. Services flush, never commit.

With a read replica (``REDGRID_READ_DATABASE_URL``) the session routes: a handler that
takes ``ReadSession`` (lists and KPI reports) sends its plain SELECTs of a GET to the
replica; writes, locking reads, raw SQL, and everything after the session's first write
go to the primary, in the request's one primary transaction. Without a replica both
names are the same primary session.
"""

import errno
import os
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, Select, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from app.config import Settings
from app.db.sealed import attach_keyring
from app.kit.crypto import KeyRing

SessionFactory = Callable[[], AsyncSession]


def async_url(url: str) -> str:
    """The SQLAlchemy asyncpg URL for any ``postgresql://`` style URL."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """A plain libpq URL (psycopg, procrastinate) for any SQLAlchemy PostgreSQL URL."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def create_engine(settings: Settings, url: str, **overrides: Any) -> AsyncEngine:
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
        # No pre-ping: with asyncpg it costs three round trips (BEGIN, a query,
        # ROLLBACK) on every checkout. ``_discard_closed`` replaces a connection the
        # server closed (a restart, a terminated backend) without any; one broken
        # silently in between fails its request as a 503, and SQLAlchemy then
        # recycles the whole pool.
        "pool_pre_ping": False,
        "pool_recycle": 1800,
        # No bound values in any message or log: they are phone numbers, ID numbers,
        # names (PIPL). Errors show the statement only.
        "hide_parameters": True,
        "connect_args": {
            "timeout": settings.db_connect_timeout,
            "server_settings": {
                # Which process holds a backend (pg_stat_activity), with N API
                # processes and job workers on one database.
                "application_name": f"redgrid/{os.getpid()}",
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "timezone": "Asia/Shanghai",
            },
        },
    }
    options.update(overrides)
    engine = create_async_engine(async_url(url), **options)
    keys, active = settings.pii_keyring()
    attach_keyring(engine.sync_engine.dialect, KeyRing(keys, active))
    event.listen(engine.sync_engine, "checkout", _discard_closed)
    event.listen(engine.sync_engine, "do_connect", _refused_when_socket_missing)
    return engine


def _refused_when_socket_missing(
    dialect: Any, record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> Any:
    """A server on a Unix socket that is down (stopped, restarting) leaves no socket
    file, and connecting raises a bare ``FileNotFoundError``, which the error handlers
    cannot tell from a missing upload. It is the server refusing, as a TCP port with
    nobody listening does: say so, and the request gets a 503 like any outage."""
    try:
        return dialect.connect(*cargs, **cparams)
    except FileNotFoundError as exc:
        raise ConnectionRefusedError(
            errno.ECONNREFUSED, f"no PostgreSQL socket ({exc.strerror})"
        ) from exc


def _discard_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """A pooled connection whose socket the server closed is thrown away and the
    checkout retried with another (SQLAlchemy's ``DisconnectionError`` contract): the
    service recovers from a database restart by itself, at no cost per request."""
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the server closed this pooled connection")


READS_FROM_REPLICA = "reads_from_replica"
"""``Session.info`` key: this request's plain reads may go to the replica."""
WROTE = "wrote"
"""``Session.info`` key: the session has written; it reads from the primary from now on."""


class RoutingSession(Session):
    """A session over the primary that sends plain reads to ``replica`` once a read-only
    request asked for it (SQLAlchemy's documented way: override ``get_bind``).

    A statement goes to the replica only if it is a SELECT without FOR UPDATE/SHARE,
    during no flush, and the session has not written yet; anything else goes to the
    primary and, unless it is a plain SELECT, marks the session as having written, so
    what the request reads afterwards includes its own writes."""

    replica: Engine

    def get_bind(self, mapper: Any = None, clause: Any = None, **kw: Any) -> Any:
        plain_read = isinstance(clause, Select) and clause._for_update_arg is None
        if not plain_read or self._flushing:
            self.info[WROTE] = True
        elif self.info.get(READS_FROM_REPLICA) and not self.info.get(WROTE):
            return self.replica
        return super().get_bind(mapper, clause=clause, **kw)


def create_session_factory(
    engine: AsyncEngine, replica: AsyncEngine | None = None
) -> async_sessionmaker[AsyncSession]:
    if replica is None:
        return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    routing = type("ReplicaRoutingSession", (RoutingSession,), {"replica": replica.sync_engine})
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=routing
    )


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    factory: SessionFactory = request.app.state.session_factory
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_read_session(request: Request, session: DbSession) -> AsyncSession:
    """The request's session (the same one ``DbSession`` gives), allowed to read from
    the replica when the request is a GET or HEAD: what the caller reads may then lag
    the primary by the replica's delay."""
    if request.method in ("GET", "HEAD"):
        session.sync_session.info[READS_FROM_REPLICA] = True
    return session


ReadSession = Annotated[AsyncSession, Depends(get_read_session)]
"""For lists and reports: ``DbSession`` whose plain reads may go to the read replica."""
