"""HTTP at district scale, beside the bare endpoint: ``python -m bench district-http``.

    python -m bench district-http [--scale 0.01 1.0] [--seconds 10] [--connections 32]

Runs against the district databases ``python -m bench district --scale S`` built (it does
not build them: at 100 % that takes 15–20 minutes). In each it adds four bench accounts
(``bench_dispatcher`` at the first community, ``bench_grid`` at its first grid,
``bench_town`` at its town, ``bench_member`` for the member with the longest points
chain), idempotently, with the demo password; starts redgrid (``redgrid serve``, one
uvicorn process) and ``bench/bare.py`` on that database, and measures every scenario
A B A B with wrk exactly as ``python -m bench http`` does (same pinning, same figures),
the ratio being redgrid's throughput ÷ the bare row read's in the same run. Nothing here
is asserted.
"""

import argparse
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta

import httpx
import psycopg

from app.kit.hashing import hash_password
from bench.district import BENCH_SETTINGS, district_database
from bench.http_load import (
    Scenario,
    _free_port,
    _server_process,
    _start,
    compare,
    start_bare,
)

PASSWORD = "Hongqi@2026"
BENCH_ACCOUNTS = ("bench_dispatcher", "bench_grid", "bench_town", "bench_member")


def _sync_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _place(conn: psycopg.Connection) -> dict[str, int]:
    row = conn.execute(
        "SELECT c.id, c.parent_id, (SELECT min(g.id) FROM org_unit g WHERE g.parent_id = c.id)"
        " FROM org_unit c WHERE c.level = 'community' ORDER BY c.id LIMIT 1"
    ).fetchone()
    assert row is not None, "not a district database"
    community, town, grid = row
    member = conn.execute(
        "SELECT a.person_id FROM points_account a JOIN person p ON p.id = a.person_id"
        " WHERE a.kind = 'member' AND p.community_id = %s ORDER BY a.last_seq DESC, a.id LIMIT 1",
        (community,),
    ).fetchone()
    assert member is not None
    order = conn.execute(
        "SELECT id FROM service_order WHERE community_id = %s ORDER BY id DESC LIMIT 1",
        (community,),
    ).fetchone()
    assert order is not None
    return {
        "town": town,
        "community": community,
        "grid": grid,
        "member": member[0],
        "order": order[0],
    }


def _accounts(database_url: str) -> dict[str, int]:
    """The bench accounts and where they sit (created once; the password re-hashed)."""
    with psycopg.connect(_sync_url(database_url), autocommit=False) as conn:
        place = _place(conn)
        hashed = hash_password(PASSWORD)
        wanted = {
            "bench_dispatcher": ("dispatcher", place["community"], None),
            "bench_grid": ("grid_worker", place["grid"], None),
            "bench_town": ("town_admin", place["town"], None),
            "bench_member": ("member", place["community"], place["member"]),
        }
        for username, (role, unit, person) in wanted.items():
            user_id = conn.execute(
                "INSERT INTO user_account (username, display_name, password_hash, person_id)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (username) DO UPDATE"
                " SET password_hash = EXCLUDED.password_hash RETURNING id",
                (username, username, hashed, person),
            ).fetchone()[0]  # type: ignore[index]
            conn.execute(
                "INSERT INTO role_grant (user_id, role, org_unit_id) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (user_id, role, unit),
            )
        conn.commit()
    return place


def _token(base: str, username: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/token",
        data={"username": username, "password": PASSWORD, "grant_type": "password"},
        timeout=60,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _scenarios(place: dict[str, int]) -> list[Scenario]:
    row = f"/row/{place['order']}"
    since = (date.today() - timedelta(days=90)).isoformat()
    return [
        Scenario(
            "GET /orders/{id} (dispatcher)",
            "GET",
            f"/api/v1/orders/{place['order']}",
            "bench_dispatcher",
            row,
        ),
        Scenario(
            "GET /orders?limit=20 (dispatcher)",
            "GET",
            "/api/v1/orders?limit=20",
            "bench_dispatcher",
            row,
        ),
        Scenario(
            "GET /orders open, by deadline",
            "GET",
            "/api/v1/orders?status=triaged,dispatched,pooled,in_progress&sort=deadline&limit=20",
            "bench_dispatcher",
            row,
        ),
        Scenario(
            "GET /orders overdue, by deadline",
            "GET",
            "/api/v1/orders?overdue=true&sort=deadline&limit=20",
            "bench_dispatcher",
            row,
        ),
        Scenario(
            "GET /orders received 90 d, newest",
            "GET",
            f"/api/v1/orders?received_from={since}T00:00:00%2B08:00&sort=-received_at&limit=20",
            "bench_dispatcher",
            row,
        ),
        Scenario("GET /orders (grid worker)", "GET", "/api/v1/orders?limit=20", "bench_grid", row),
        Scenario("GET /points/me (member)", "GET", "/api/v1/points/me", "bench_member", row),
        Scenario(
            "GET /points/me/statement", "GET", "/api/v1/points/me/statement", "bench_member", row
        ),
        Scenario(
            "GET /points/leaderboard (town, month)",
            "GET",
            f"/api/v1/points/leaderboard?unit_id={place['town']}&period=month",
            "bench_town",
            row,
        ),
        Scenario(
            "GET /stats/orders (town, 90 d)",
            "GET",
            f"/api/v1/stats/orders?date_from={since}",
            "bench_town",
            row,
        ),
    ]


def run(server: str, scale: float, seconds: int, connections: int) -> None:
    _, database_url = district_database(server, scale)
    place = _accounts(database_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDGRID_LOG_LEVEL": "WARNING",
        "REDGRID_ENV": BENCH_SETTINGS["env"],
        "REDGRID_SECRET_KEY": BENCH_SETTINGS["secret_key"],
        "REDGRID_PII_KEY": BENCH_SETTINGS["pii_key"],
        "REDGRID_DB_STATEMENT_TIMEOUT_MS": "0",
    }
    args = argparse.Namespace(seconds=seconds, connections=connections)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        ours, bare = _free_port(), _free_port()
        servers.append(
            _start([sys.executable, "-m", "app.cli", "serve", "--port", str(ours)], env, ours)
        )
        servers.append(start_bare(env, bare))
        base, reference = f"http://127.0.0.1:{ours}", f"http://127.0.0.1:{bare}"
        tokens = {user: _token(base, user) for user in BENCH_ACCOUNTS}
        ours_process, bare_process = (_server_process(s) for s in servers)
        print(f"\nscale {scale:g}: {database_url.rsplit('/', 1)[1]}")
        print("| scenario | req/s | p50 / p99 ms | CPU ms/req | peak RSS MiB | reference | ratio |")
        print("|" + "---|" * 7)
        for scenario in _scenarios(place):
            print(
                compare(ours_process, bare_process, base, reference, scenario, tokens, args),
                flush=True,
            )
    finally:
        for process in servers:
            process.terminate()
        for process in servers:
            process.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    from bench.__main__ import server_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, nargs="+", default=[0.01, 1.0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    for scale in args.scale:
        run(server_url(), scale, args.seconds, args.connections)


if __name__ == "__main__":
    main()
