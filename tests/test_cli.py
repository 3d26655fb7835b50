"""The ``redgrid`` command line, run as a user runs it: a real subprocess."""

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from app.db.session import libpq_url
from app.openapi import OPENAPI_PATH
from tests.support.cli import (
    ROOT,
    STRONG_SECRETS,
    LineReader,
    redgrid,
    redgrid_argv,
    redgrid_env,
    taken_port,
)
from tests.support.databases import base_name, drop_database, recreate_database, worker_suffix


@pytest.fixture(scope="module")
def cli_database(server_url: str) -> Iterator[str]:
    name = f"{base_name(server_url)}_{worker_suffix()}_cli"
    url = recreate_database(server_url, name)
    yield url
    drop_database(server_url, name)


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
    result = redgrid("migrate", REDGRID_ENV="production")
    assert result.returncode == 2
    assert "REDGRID_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("command", [["migrate"], ["serve", "--port", "0"], ["worker"]])
def test_production_without_database_url_is_one_line(command: list[str]) -> None:
    result = redgrid(*command, REDGRID_ENV="production", **STRONG_SECRETS)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: DATABASE_URL is required when REDGRID_ENV=production"
        " (the embedded PostgreSQL is for development)"
    ]


class TestServe:
    def test_announces_itself_and_the_demo_logins_once_listening(self, cli_database: str) -> None:
        # With an account in place --seed-demo seeds nothing (the demo town has its own
        # test) and only prints the logins.
        assert redgrid("migrate", database_url=cli_database).returncode == 0
        admin = redgrid(
            "create-admin",
            "--username",
            "serve_admin",
            "--password",
            "Str0ng!pass",
            database_url=cli_database,
        )
        assert admin.returncode == 0, admin.stderr
        server = subprocess.Popen(
            redgrid_argv("serve", "--port", "0", "--migrate", "--seed-demo"),
            cwd=ROOT,
            env=redgrid_env(cli_database),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            output = LineReader(server.stdout)  # type: ignore[arg-type]
            banner = output.until("redgrid serving on")
            address = banner.split()[3]
            # Nothing but the banner tells the port (0: any free one), so it names the
            # listening socket.
            assert httpx.get(f"{address}/healthz", timeout=30).json() == {"status": "ok"}
            output.until("demo logins")
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=60) == 0, "".join(output.seen)
        finally:
            server.kill()
            server.wait()

    def test_a_taken_port_is_one_line_before_anything_starts(self, tmp_path: Path) -> None:
        with taken_port() as sock:
            port = sock.getsockname()[1]
            result = redgrid(
                "serve",
                "--port",
                str(port),
                "--migrate",
                "--seed-demo",
                REDGRID_DATA_DIR=str(tmp_path),
            )
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            f"error: port {port} on 127.0.0.1 is already in use; choose another one with"
            f" REDGRID_PORT (`REDGRID_PORT={port + 1} make run`) or"
            f" `redgrid serve --port {port + 1}`"
        ]
        # The embedded PostgreSQL (the default, DATABASE_URL being unset) never started.
        assert list(tmp_path.iterdir()) == []

    def test_reads_its_port_from_the_environment(self) -> None:
        with taken_port() as sock:
            port = sock.getsockname()[1]
            result = redgrid("serve", REDGRID_PORT=str(port))
        assert result.returncode == 1
        assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


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
        matters = conn.execute(
            "SELECT status, ballots, yes_votes, no_votes, ratings FROM matter"
        ).fetchall()
        decisions = conn.execute(
            "SELECT count(order_id), count(matter_id) FROM meeting_decision"
        ).fetchone()
        duties = conn.execute(
            "SELECT count(*) FILTER (WHERE a.status = 'checked_in'), "
            "count(*) FILTER (WHERE a.status = 'scheduled' AND s.ends_at < now()) "
            "FROM duty_assignment a JOIN duty_shift s ON s.id = a.shift_id"
        ).fetchone()
        answers = conn.execute("SELECT count(*) FROM evaluation_response").fetchone()
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
    assert matters == [("closed", 4, 3, 1, 4)]
    assert decisions == (1, 1)
    assert duties == (15, 1)
    assert answers == (8,)
    verified = redgrid("verify-ledger", database_url=empty_database)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    again = redgrid("seed-demo", database_url=empty_database)
    assert "already present" in again.stdout
