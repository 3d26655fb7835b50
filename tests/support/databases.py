"""Test databases: one per xdist worker, built by the real migrations."""

import os

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from app.db.session import libpq_url


def worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def database_url(base_url: str, name: str) -> str:
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def recreate_database(base_url: str, name: str) -> str:
    """Drop and create ``name`` on the server of ``base_url``; return its URL."""
    admin = libpq_url(database_url(base_url, "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return database_url(base_url, name)


def drop_database(base_url: str, name: str) -> None:
    admin = libpq_url(database_url(base_url, "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def base_name(base_url: str) -> str:
    return make_url(base_url).database or "redgrid_test"
