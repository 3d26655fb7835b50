"""Latency at 1 % and 100 % of a district: ``python -m bench scale [--skip-build] [--runs 15]``.

Builds (unless ``--skip-build``) the two district databases with ``bench.district`` at
scale 0.01 and 1.0, then for each query the issue names calls the application's own
service function with a principal of the right role and scope (so the scope predicate is
in the SQL), records every statement it sends, and measures:

- ``svc``: the whole service call (Python and every round trip), median of ``--runs``;
- ``sql``: the server's execution time of the call's costliest statement, from
  ``EXPLAIN (ANALYZE)`` of exactly the statement and parameters the service sent, median
  of ``--runs`` runs after a warm-up;

then prints, per query, p50 at 1 % and 100 % and the ratio 100 %/1 % (target ≤ 1.2×
and ≤ 100 ms), and for each over target (service p50 > 100 ms, or SQL ratio > 1.2× on a
statement above ``NOISE_MS``) the plan node that dominates the statement (the node with
the largest time of its own, with rows removed by filter).
"""

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.authz.principal import Grant, Principal
from app.config import Settings
from app.db.session import create_engine
from app.orders import service as orders_service
from app.orders.schemas import OrderFilters
from app.people import service as people_service
from app.people.pii import PiiCodec
from app.people.schemas import PersonListQuery
from app.points import read_service
from app.points.schemas import Period, RankingQuery, StatementQuery
from app.reporting import service as reporting_service
from bench.district import BENCH_SETTINGS, build, district_database

SCALES = (0.01, 1.0)
TARGET_RATIO, TARGET_MS = 1.2, 100.0
NOISE_MS = 1.0
"""Below this a statement's time varies by more than 20 % from run to run on a shared
machine, so a ratio of two such figures is not a finding."""

READS = ("SELECT", "WITH")  # the statements worth explaining
Call = Callable[[AsyncSession], Awaitable[Any]]


async def _principal(session: AsyncSession, role: str, unit_id: int, level: str) -> Principal:
    permissions = frozenset(
        p
        for (p,) in await session.execute(
            text("SELECT permission FROM role_permission WHERE role = :role"), {"role": role}
        )
    )
    return Principal(
        kind="user",
        subject=f"user:bench-{role}",
        display_name=f"bench {role}",
        grants=(Grant(role=role, org_unit_id=unit_id, level=level, permissions=permissions),),
    )


async def _cases(session: AsyncSession) -> dict[str, Call]:
    """The queries of the issue, each a service call at a fixed place in the district."""
    ids = (
        await session.execute(
            text(
                "SELECT (SELECT min(id) FROM org_unit WHERE level = 'town') AS town,"
                " (SELECT min(id) FROM org_unit WHERE level = 'community') AS community,"
                " (SELECT min(id) FROM org_unit WHERE level = 'grid') AS grid"
            )
        )
    ).one()
    busiest = (
        await session.execute(
            text(
                "SELECT person_id FROM points_account WHERE kind = 'member'"
                " ORDER BY last_seq DESC, id LIMIT 1"
            )
        )
    ).scalar_one()
    dispatcher = await _principal(session, "dispatcher", ids.community, "community")
    grid_worker = await _principal(session, "grid_worker", ids.grid, "grid")
    town_admin = await _principal(session, "town_admin", ids.town, "town")
    community_admin = await _principal(session, "community_admin", ids.community, "community")
    codec = PiiCodec(Settings.model_validate(BENCH_SETTINGS).pii_key)
    today = date.today()

    return {
        "community orders, first page (dispatcher)": lambda s: orders_service.list_orders(
            s, dispatcher, OrderFilters(), limit=20, cursor=None
        ),
        "grid orders, first page (grid worker)": lambda s: orders_service.list_orders(
            s, grid_worker, OrderFilters(), limit=20, cursor=None
        ),
        "town KPI report, 90 days": lambda s: reporting_service.order_stats(
            s,
            town_admin,
            unit_id=ids.town,
            date_from=today - timedelta(days=89),
            date_to=today,
        ),
        "leaderboard town, month": lambda s: read_service.leaderboard(
            s, town_admin, RankingQuery(unit_id=ids.town, period=Period.month, limit=20)
        ),
        "leaderboard community, year": lambda s: read_service.leaderboard(
            s, town_admin, RankingQuery(unit_id=ids.community, period=Period.year, limit=20)
        ),
        "member statement, first page": lambda s: read_service.statement(
            s, town_admin, int(busiest), StatementQuery(limit=20)
        ),
        "people of a community, first page": lambda s: people_service.list_people(
            s, community_admin, codec, PersonListQuery(limit=20)
        ),
    }


def _own_times(node: dict[str, Any]) -> list[tuple[float, dict[str, Any]]]:
    """(time spent in the node itself, node) for the node and every node below it."""
    children = node.get("Plans", [])
    total = node.get("Actual Total Time", 0.0) * node.get("Actual Loops", 1)
    below = sum(c.get("Actual Total Time", 0.0) * c.get("Actual Loops", 1) for c in children)
    found = [(total - below, node)]
    for child in children:
        found.extend(_own_times(child))
    return found


def _describe(node: dict[str, Any]) -> str:
    words = [node["Node Type"]]
    if "Index Name" in node:
        words.append(f"using {node['Index Name']}")
    if "Relation Name" in node:
        words.append(f"on {node['Relation Name']}")
    rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
    words.append(f"rows {rows:,.0f}")
    for key in ("Rows Removed by Filter", "Rows Removed by Index Recheck"):
        if node.get(key):
            words.append(f"{key}: {node[key] * node.get('Actual Loops', 1):,.0f}")
    if node.get("Filter"):
        words.append(f"Filter: {node['Filter'][:120]}")
    return " ".join(words)


class Recorder:
    """The statements a service call sends, with their parameters."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.statements: list[tuple[str, Any]] = []
        self.on = False

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def record(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
            if self.on:
                self.statements.append((statement, params))


async def _explain(session: AsyncSession, statement: str, params: Any) -> dict[str, Any]:
    raw = await session.connection()
    result = await raw.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params
    )
    plan = result.scalar_one()
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]


async def measure(url: str, runs: int) -> dict[str, dict[str, Any]]:
    settings = Settings.model_validate(BENCH_SETTINGS)
    engine = create_engine(settings, url, pool_size=1, max_overflow=0)
    recorder = Recorder(engine)
    out: dict[str, dict[str, Any]] = {}
    try:
        async with AsyncSession(engine) as session:
            cases = await _cases(session)
            await session.commit()
            for label, call in cases.items():
                for _ in range(3):  # warm-up: plans cached, pages in memory
                    await call(session)
                    await session.rollback()
                samples = []
                for _ in range(runs):
                    started = time.perf_counter()
                    await call(session)
                    samples.append((time.perf_counter() - started) * 1000)
                    await session.rollback()
                recorder.statements.clear()
                recorder.on = True
                await call(session)
                recorder.on = False
                await session.rollback()
                statements = [
                    s for s in recorder.statements if s[0].split(None, 1)[0].upper() in READS
                ]
                worst: tuple[float, dict[str, Any], str] | None = None
                for statement, params in statements:
                    times = []
                    plan: dict[str, Any] = {}
                    for _ in range(max(3, runs // 3)):
                        plan = await _explain(session, statement, params)
                        times.append(plan["Execution Time"])
                    await session.rollback()
                    median = statistics.median(times)
                    if worst is None or median > worst[0]:
                        worst = (median, plan, statement)
                assert worst is not None
                own = max(_own_times(worst[1]["Plan"]), key=lambda pair: pair[0])
                out[label] = {
                    "svc": statistics.median(samples),
                    "sql": worst[0],
                    "statements": len(statements),
                    "node": f"{_describe(own[1])} ({own[0]:.2f} ms own)",
                    "statement": " ".join(worst[2].split())[:400],
                }
                print(
                    f"  {label:<44} svc {out[label]['svc']:8.2f} ms  sql {worst[0]:8.2f} ms"
                    f"  ({len(statements)} statements)\n      {out[label]['node']}",
                    flush=True,
                )
    finally:
        await engine.dispose()
    return out


def report(results: dict[float, dict[str, dict[str, Any]]]) -> None:
    small, full = results[SCALES[0]], results[SCALES[1]]
    print()
    print("| query | svc p50 1 % | svc p50 100 % | ratio | sql p50 1 % | sql p50 100 % | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    over: list[str] = []
    for label in full:
        a, b = small[label], full[label]
        r_svc, r_sql = b["svc"] / a["svc"], b["sql"] / max(a["sql"], 0.001)
        flag = b["svc"] > TARGET_MS or (r_sql > TARGET_RATIO and b["sql"] > NOISE_MS)
        print(
            f"| {label} | {a['svc']:.2f} ms | {b['svc']:.2f} ms | {r_svc:.2f}× |"
            f" {a['sql']:.2f} ms | {b['sql']:.2f} ms | {r_sql:.2f}× |"
            + (" **over**" if flag else "")
        )
        if flag:
            over.append(f"- {label}: {b['node']}\n    SQL: {b['statement']}")
    if over:
        print(
            "\nOver target (service p50 > 100 ms, or SQL ratio > 1.2× on a statement of more"
            " than 1 ms) — the dominant plan node at 100 %:"
        )
        print("\n".join(over))


def main(argv: list[str] | None = None) -> None:
    from bench.__main__ import server_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true", help="reuse the district databases")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--scale", type=float, action="append", help="measure only these")
    args = parser.parse_args(argv)
    server = server_url()
    results = {}
    for scale in args.scale or SCALES:
        _, url = district_database(server, scale)
        if not args.skip_build:
            url = build(server, scale)
        print(f"scale {scale}: {url}", flush=True)
        results[scale] = asyncio.run(measure(url, args.runs))
    if all(s in results for s in SCALES):
        report(results)


if __name__ == "__main__":
    main()
