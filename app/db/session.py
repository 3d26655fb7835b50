"""Engine, sessions, and the one-transaction-per-request dependency.

A request gets one session from one pooled connection; the session dependency
commits after the handler returns and *before* the response is sent
(``Depends(scope="function")``, FastAPI >= 0.121), so a client never sees a
success that was not durable. Services flush, never commit.
"""

import errno
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

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
                "application_name": "redgrid",
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


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


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
