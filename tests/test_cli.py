"""The ``redgrid`` command line, run as a user runs it: a real subprocess."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from app.db.session import libpq_url
from app.openapi import OPENAPI_PATH
from tests.support.databases import base_name, drop_database, recreate_database, worker_suffix

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cli_database(server_url: str) -> Iterator[str]:
    name = f"{base_name(server_url)}_{worker_suffix()}_cli"
    url = recreate_database(server_url, name)
    yield url
    drop_database(server_url, name)


def redgrid(*args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDGRID_")}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    env["REDGRID_LOG_LEVEL"] = "WARNING"
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_create_admin_and_seed(cli_database: str) -> None:
    migrated = redgrid("migrate", database_url=cli_database)
    assert migrated.returncode == 0, migrated.stderr
    assert "migrated" in migrated.stdout

    created = redgrid(
        "create-admin", "--username", "root", "--password", "Str0ng!pass", database_url=cli_database
    )
    assert created.returncode == 0, created.stderr
    with psycopg.connect(libpq_url(cli_database)) as conn:
        row = conn.execute(
            "SELECT is_superuser, password_hash FROM user_account WHERE username = 'root'"
        ).fetchone()
    assert row is not None and row[0] is True
    assert row[1].startswith("$argon2id$")

    duplicate = redgrid(
        "create-admin", "--username", "root", "--password", "Str0ng!pass", database_url=cli_database
    )
    assert duplicate.returncode == 1
    assert "user.username_taken" in duplicate.stderr

    seeded = redgrid("seed-demo", database_url=cli_database)
    assert seeded.returncode == 0, seeded.stderr
    assert "already present" in seeded.stdout


def test_create_admin_refuses_weak_password(cli_database: str) -> None:
    assert redgrid("migrate", database_url=cli_database).returncode == 0
    weak = redgrid(
        "create-admin", "--username", "weak", "--password", "short", database_url=cli_database
    )
    assert weak.returncode == 1
    assert "user.weak_password" in weak.stderr
    with psycopg.connect(libpq_url(cli_database)) as conn:
        count = conn.execute("SELECT count(*) FROM user_account WHERE username = 'weak'").fetchone()
    assert count == (0,)


def test_openapi_command_prints_the_committed_document() -> None:
    printed = redgrid("openapi")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == OPENAPI_PATH.read_text(encoding="utf-8")


def test_refuses_default_secrets_outside_development() -> None:
    env = {**os.environ, "REDGRID_ENV": "production"}
    env.pop("REDGRID_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "REDGRID_SECRET_KEY" in result.stderr


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    name = f"{base_name(server_url)}_{worker_suffix()}_demo"
    url = recreate_database(server_url, name)
    yield url
    drop_database(server_url, name)


def test_seed_demo_builds_a_consistent_town(empty_database: str) -> None:
    assert redgrid("migrate", database_url=empty_database).returncode == 0
    seeded = redgrid("seed-demo", database_url=empty_database)
    assert seeded.returncode == 0, seeded.stderr
    assert "demo data seeded" in seeded.stdout
    with psycopg.connect(libpq_url(empty_database)) as conn:
        levels = dict(
            conn.execute("SELECT level, count(*) FROM org_unit GROUP BY level").fetchall()
        )
        statuses = {
            row[0] for row in conn.execute("SELECT DISTINCT status FROM service_order").fetchall()
        }
        roles = {row[0] for row in conn.execute("SELECT DISTINCT role FROM role_grant").fetchall()}
        awards = conn.execute(
            "SELECT count(*) FROM points_transaction WHERE kind = 'order_award'"
        ).fetchone()
        redemptions = conn.execute("SELECT count(*) FROM redemption").fetchone()
    assert set(levels) == {"town", "community", "grid", "building", "household"}
    assert statuses == {
        "submitted",
        "triaged",
        "dispatched",
        "pooled",
        "in_progress",
        "resolved",
        "closed",
        "rejected",
        "merged",
        "cancelled",
    }
    assert roles == {
        "town_admin",
        "community_admin",
        "dispatcher",
        "grid_worker",
        "department_staff",
        "member",
        "resident",
        "auditor",
    }
    assert awards is not None and awards[0] > 0
    assert redemptions is not None and redemptions[0] > 0
    verified = redgrid("verify-ledger", database_url=empty_database)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    again = redgrid("seed-demo", database_url=empty_database)
    assert "already present" in again.stdout
