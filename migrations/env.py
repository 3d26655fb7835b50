"""Async Alembic environment.

The URL comes from ``-x url=...``, else ``config.attributes["url"]`` (tests, the
CLI), else the app's own resolution (DATABASE_URL, or the embedded server).
Procrastinate's tables are created by our migrations from its pinned schema but
are not part of our models, so autogenerate ignores them.

Every replica runs ``serve --migrate`` when it starts, so migrations run under a
session-level PostgreSQL advisory lock: the first process migrates, the others wait
for it and then find the database at head. A connection passed in through
``config.attributes["connection"]`` is the caller's, and so is its locking.
"""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.models import Base
from app.db.session import async_url

config = context.config
target_metadata = Base.metadata

_FOREIGN_PREFIXES = ("procrastinate_",)

MIGRATION_LOCK_KEY = int.from_bytes(b"redgrid", "big")
"""The advisory lock every migrating process takes: "redgrid" in ASCII, as a bigint.
Advisory locks are per database, so the databases of one server migrate independently."""

logger = logging.getLogger("redgrid.migrations")


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    return not (name and name.startswith(_FOREIGN_PREFIXES))


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.attributes.get("url")
    if url:
        return str(url)
    from app.config import get_settings
    from app.db.embedded import resolve_database_url

    return resolve_database_url(get_settings())


def _configure(connection: Connection | None = None, **kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_name=include_name,
        compare_type=True,
        compare_server_default=True,
        transaction_per_migration=True,
        connection=connection,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=async_url(_url()), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    """Hold the migration lock for the whole upgrade, across its per-migration transactions.

    The lock belongs to the session, not a transaction, so it is committed out of the
    way before Alembic begins its own. A failed migration leaves it to the connection's
    close (NullPool), which releases it too.
    """
    key = {"key": MIGRATION_LOCK_KEY}
    if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key):
        logger.info("another process is migrating this database; waiting for it to finish")
        connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
    connection.commit()
    yield
    connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
    connection.commit()


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def _run_sync_locked(connection: Connection) -> None:
    with _migration_lock(connection):
        _run_sync(connection)


async def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
        return
    engine = create_async_engine(async_url(_url()), poolclass=pool.NullPool)
    async with engine.connect() as conn:
        await conn.run_sync(_run_sync_locked)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
