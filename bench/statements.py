"""Statements and CPU per request on the hot path, in process (no network, no wrk).

    python -m bench statements [--requests 200]

A fresh database on BENCH_DATABASE_URL (``<base>_stmts``), migrated and seeded with the
demo town; the app is driven in this process through httpx's ASGI transport. For each
scenario: the SQL statements one request sends (counted on the engine, transaction
control included) and this process's CPU per request over ``--requests`` requests
after a warm-up (the in-process client's share included, so compare runs with each
other, not with ``bench http``). Figures only: nothing is asserted.
"""

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import event


async def _drive(database_url: str, requests: int, show: bool) -> None:
    from app.config import Settings
    from app.demo.town import DEMO_PASSWORD
    from app.main import create_app

    settings = Settings(env="development", database_url=database_url, log_level="WARNING")
    app = create_app(settings, database_url=database_url)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def count_begin(conn: Any) -> None:
        statements.append("BEGIN")

    def count_commit(conn: Any) -> None:
        statements.append("COMMIT")

    def count_rollback(conn: Any) -> None:
        statements.append("ROLLBACK")

    sync_engine = app.state.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    event.listen(sync_engine, "begin", count_begin)
    event.listen(sync_engine, "commit", count_commit)
    event.listen(sync_engine, "rollback", count_rollback)

    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
    ):

        async def token(username: str) -> dict[str, str]:
            response = await http.post(
                "/api/v1/auth/token",
                data={"username": username, "password": DEMO_PASSWORD, "grant_type": "password"},
            )
            response.raise_for_status()
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        dispatcher = await token("hongxing_dispatch")
        member = await token("member_demo")
        resident = await token("resident_demo")
        town_admin = await token("shilong_admin")

        order_id = (await http.get("/api/v1/orders?limit=1", headers=dispatcher)).json()["items"][
            0
        ]["id"]
        me = (await http.get("/api/v1/me", headers=resident)).json()
        home = me["grants"][0]["org_unit_id"]
        community = (await http.get("/api/v1/me", headers=dispatcher)).json()["grants"][0][
            "org_unit_id"
        ]
        categories = (await http.get("/api/v1/order-categories", headers=resident)).json()
        listed = categories["items"] if isinstance(categories, dict) else categories
        category = listed[0]["code"]
        rewards = (await http.get("/api/v1/rewards?limit=50", headers=member)).json()["items"]
        reward = min(rewards, key=lambda r: r["price_points"])
        order_body = {
            "category": category,
            "title": "楼道灯不亮",
            "description": "三楼楼道灯坏了",
            "channel": "miniprogram",
            "location_unit_id": home,
        }
        serial = iter(range(10**9))

        async def pooled_order() -> int:
            created = await http.post("/api/v1/orders", json=order_body, headers=resident)
            created.raise_for_status()
            new_id = created.json()["id"]
            for step, body in (("triage", {}), ("pool", None)):
                done = await http.post(
                    f"/api/v1/orders/{new_id}/{step}", json=body, headers=dispatcher
                )
                done.raise_for_status()
            return int(new_id)

        def get(path: str, headers: dict[str, str]) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: http.get(path, headers=headers)

        def post(
            path: str, headers: dict[str, str], body: Any = None
        ) -> Callable[[], Awaitable[httpx.Response]]:
            async def call() -> httpx.Response:
                extra = {"Idempotency-Key": f"bench-{time.time_ns()}-{next(serial)}"}
                return await http.post(path, json=body, headers={**headers, **extra})

            return call

        scenarios: list[tuple[str, Callable[[], Awaitable[httpx.Response]]]] = [
            ("GET /orders/{id}", get(f"/api/v1/orders/{order_id}", dispatcher)),
            ("GET /orders?limit=20", get("/api/v1/orders?limit=20", dispatcher)),
            ("GET /org-units/{id}", get(f"/api/v1/org-units/{home}", dispatcher)),
            ("GET /points/me", get("/api/v1/points/me", member)),
            ("GET /points/me/statement", get("/api/v1/points/me/statement?limit=20", member)),
            (
                "GET /points/leaderboard",
                get(f"/api/v1/points/leaderboard?unit_id={community}&period=year", dispatcher),
            ),
            ("GET /stats/orders (town)", get("/api/v1/stats/orders", town_admin)),
            ("POST /orders", post("/api/v1/orders", resident, order_body)),
        ]
        claimable = [await pooled_order() for _ in range(requests + 6)]
        claims = iter(claimable)

        def claim() -> Awaitable[httpx.Response]:
            return post(f"/api/v1/orders/{next(claims)}/claim", member)()

        scenarios.append(("POST /orders/{id}/claim", claim))
        scenarios.append(
            ("POST /rewards/{id}/redeem", post(f"/api/v1/rewards/{reward['id']}/redeem", member))
        )
        print(f"statements: {requests} requests each after 5 warm-ups, in process")
        print("| scenario | status | statements/request | CPU ms/request (with client) |")
        print("|---|---|---|---|")
        for name, call in scenarios:
            budget = requests
            if "redeem" in name:
                budget = min(requests, 10)  # the member's points and the stock run out
            for _ in range(5 if budget == requests else 1):
                await call()
            statements.clear()
            response = await call()
            one = list(statements)
            started = time.process_time()
            for _ in range(budget):
                await call()
            cpu = (time.process_time() - started) / budget * 1000
            print(f"| {name} | {response.status_code} | {len(one)} | {cpu:.2f} |")
            if show:
                for kind, seen in Counter(s.split()[0] for s in one).items():
                    print(f"|   {kind} | | {seen} | |")
                for statement in one:
                    print("      ", " ".join(statement.split())[:160])
    await app.state.engine.dispose()


def run(server_url: str, *, requests: int = 200, show: bool = False, keep: bool = False) -> None:
    import os
    import subprocess
    import sys

    from app.cli import migrate
    from bench.http_load import ROOT
    from tests.support.databases import base_name, drop_database, recreate_database

    name = f"{base_name(server_url)}_stmts"
    database_url = recreate_database(server_url, name)
    try:
        migrate(database_url)
        env = {**os.environ, "DATABASE_URL": database_url, "REDGRID_LOG_LEVEL": "WARNING"}
        subprocess.run(
            [sys.executable, "-m", "app.cli", "seed-demo"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        asyncio.run(_drive(database_url, requests, show))
    finally:
        if not keep:
            drop_database(server_url, name)


def main() -> None:
    from bench.__main__ import server_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--show", action="store_true", help="print each statement of one request")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    run(server_url(), requests=args.requests, show=args.show, keep=args.keep)


if __name__ == "__main__":
    main()
