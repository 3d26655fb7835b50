"""Migrations: upgrade → downgrade → upgrade on an empty database, no drift, and
replicas starting together."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.models import Base
from app.db.session import async_url, libpq_url
from app.ops.service import alembic_config, expected_revision
from tests.support.cli import ROOT, redgrid_argv, redgrid_env
from tests.support.databases import base_name, drop_database, recreate_database, worker_suffix


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    name = f"{base_name(server_url)}_{worker_suffix()}_migrations"
    url = recreate_database(server_url, name)
    yield url
    drop_database(server_url, name)


def _config(url: str):  # type: ignore[no-untyped-def]
    config = alembic_config()
    config.attributes["url"] = url
    return config


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


async def test_up_down_up_and_no_autogenerate_diff(empty_database: str) -> None:
    import asyncio

    config = _config(empty_database)
    await asyncio.to_thread(command.upgrade, config, "head")
    assert {"user_account", "procrastinate_jobs", "alembic_version"} <= await _tables(
        empty_database
    )

    await asyncio.to_thread(command.downgrade, config, "base")
    assert await _tables(empty_database) == {"alembic_version"}

    await asyncio.to_thread(command.upgrade, config, "head")
    engine = create_async_engine(async_url(empty_database), poolclass=pool.NullPool)
    async with engine.connect() as conn:

        def diff(sync_conn: Connection) -> list[object]:
            context = MigrationContext.configure(
                sync_conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_name": lambda name, type_, parents: (
                        not (name or "").startswith("procrastinate_")
                    ),
                },
            )
            return list(compare_metadata(context, Base.metadata))

        differences = await conn.run_sync(diff)
        leftovers = (
            await conn.execute(
                text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'")
            )
        ).scalar()
    await engine.dispose()
    assert differences == [], f"models and migrations differ: {differences}"
    assert leftovers and leftovers > 0


def test_revision_files_are_date_named() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    for revision in scripts.walk_revisions():
        filename = revision.path.rsplit("/", 1)[-1]
        assert filename[:15].replace("-", "").isdigit(), filename
        assert filename[15] == "_", filename
    assert len(list(scripts.get_heads())) == 1, "migrations must have a single head"


@pytest.fixture
def fresh_database(server_url: str) -> Iterator[str]:
    name = f"{base_name(server_url)}_{worker_suffix()}_replicas"
    url = recreate_database(server_url, name)
    yield url
    drop_database(server_url, name)


def test_eight_replicas_migrating_at_once_all_come_up(fresh_database: str, tmp_path: Path) -> None:
    """Every replica runs ``serve --migrate``: the advisory lock in env.py lets one migrate
    while the others wait, instead of racing to create the same types and tables."""
    logs = [tmp_path / f"migrate-{i}.log" for i in range(8)]
    processes = []
    for log in logs:
        with log.open("w") as out:
            processes.append(
                subprocess.Popen(
                    redgrid_argv("migrate"),
                    cwd=ROOT,
                    env=redgrid_env(fresh_database),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    codes = [process.wait(timeout=180) for process in processes]
    assert codes == [0] * 8, "\n".join(log.read_text() for log in logs)
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(expected_revision(),)]
