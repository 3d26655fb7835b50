"""Red points at scale: generate a large ledger, then time the reads and verify-ledger.

    python -m bench.points_ledger [--postings 1000000] [--keep]

Generates, with INSERT … SELECT over generate_series in a fresh database (dropped
afterwards unless ``--keep``): one town, 20 communities, 200 grids, one member per
40 postings, and postings/2 transactions spread over the last 365 days — awards
to a member from the town's issuance account, every 7th posting of a member a
redemption to the town's redemption account. Member chains are real: seq, running
balance and the SHA-256 hash chain (computed by a recursive CTE with the same
format as ``app.points.ledger.chain_hash``), so ``verify-ledger`` must come out clean.
Period totals are aggregated from the postings, as the ledger maintains them.

Then, through the application's own read path (``app.points.read_service`` with a
town administrator's principal, so the scope predicate is in every query), it times
a statement page (first and deep), an account summary, leaderboards (town and
community; month and year), the 公示 list, and the whole ``verify-ledger``.

The server is BENCH_DATABASE_URL (default: the embedded server under var/bench).
"""

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.principal import Grant, Principal
from app.config import Settings
from app.db.session import create_engine, libpq_url
from app.points import read_service, verify
from app.points.models import GENESIS_HASH
from app.points.schemas import Period, RankingQuery, StatementQuery

COMMUNITIES = 20
GRIDS_PER_COMMUNITY = 10
GRIDS = COMMUNITIES * GRIDS_PER_COMMUNITY
REPEAT = 200


def _chain_step(prev: str) -> str:
    return (
        f"encode(sha256(convert_to({prev} || '|' || m.account_id || '|' || m.seq || '|' "
        "|| m.txn_id || '|' || m.amount || '|' || m.balance_after, 'UTF8')), 'hex')"
    )


def generation_steps(postings: int) -> list[tuple[str, str]]:
    transactions = postings // 2
    members = max(postings // 40, 10)
    issuance, redemption = members + 1, members + 2
    return [
        ("bulk mode", "SET session_replication_role = replica"),
        (
            "org units",
            f"""
            INSERT INTO org_unit (id, code, name, level, parent_id, town_id)
            VALUES (1, 'BENCH-T', '基准镇', 'town', NULL, 1);
            INSERT INTO org_unit (id, code, name, level, parent_id, town_id, community_id)
            SELECT 1 + c, 'BENCH-C' || c, '社区' || c, 'community', 1, 1, 1 + c
              FROM generate_series(1, {COMMUNITIES}) c;
            INSERT INTO org_unit (id, code, name, level, parent_id, grid_kind, town_id,
                                  community_id, grid_id)
            SELECT 100 + g, 'BENCH-G' || g, '网格' || g, 'grid', 2 + g / {GRIDS_PER_COMMUNITY},
                   'compound', 1, 2 + g / {GRIDS_PER_COMMUNITY}, 100 + g
              FROM generate_series(0, {GRIDS - 1}) g;
            INSERT INTO org_unit (id, code, name, level, parent_id, town_id, community_id,
                                  grid_id, building_id)
            SELECT 1000 + g, 'BENCH-B' || g, g || '号楼', 'building', 100 + g, 1,
                   2 + g / {GRIDS_PER_COMMUNITY}, 100 + g, 1000 + g
              FROM generate_series(0, {GRIDS - 1}) g;
            SELECT setval(pg_get_serial_sequence('org_unit', 'id'), 10000);
            """,
        ),
        (
            "people and accounts",
            f"""
            INSERT INTO person (id, name, home_unit_id, town_id, community_id, grid_id,
                                building_id)
            SELECT i, '成员' || i, 1000 + i % {GRIDS}, 1, 2 + (i % {GRIDS}) / {GRIDS_PER_COMMUNITY},
                   100 + i % {GRIDS}, 1000 + i % {GRIDS}
              FROM generate_series(1, {members}) i;
            SELECT setval(pg_get_serial_sequence('person', 'id'), {members} + 1);
            INSERT INTO points_account (id, kind, town_id, person_id)
            SELECT i, 'member', 1, i FROM generate_series(1, {members}) i;
            INSERT INTO points_account (id, kind, town_id) VALUES
                ({issuance}, 'issuance', 1), ({redemption}, 'redemption', 1);
            SELECT setval(pg_get_serial_sequence('points_account', 'id'), {redemption} + 1);
            """,
        ),
        (
            "transactions",
            f"""
            CREATE TEMP TABLE mp AS
            SELECT t AS txn_id, 1 + (t::bigint * 7919) % {members} AS account_id,
                   now() - make_interval(secs => ({transactions} - t) * (365 * 86400.0
                                                                         / {transactions}))
                       AS created_at
              FROM generate_series(1, {transactions}) t;
            ALTER TABLE mp ADD COLUMN seq bigint, ADD COLUMN amount bigint,
                           ADD COLUMN balance_after bigint, ADD COLUMN kind text;
            UPDATE mp SET seq = s.seq
              FROM (SELECT txn_id, row_number() OVER (PARTITION BY account_id ORDER BY txn_id)
                           AS seq FROM mp) s
             WHERE s.txn_id = mp.txn_id;
            UPDATE mp SET kind = CASE WHEN seq % 7 = 0 THEN 'redemption' ELSE 'order_award' END,
                          amount = CASE WHEN seq % 7 = 0 THEN -3 ELSE 5 + txn_id % 16 END;
            UPDATE mp SET balance_after = s.balance
              FROM (SELECT txn_id, sum(amount) OVER (PARTITION BY account_id ORDER BY seq)
                           AS balance FROM mp) s
             WHERE s.txn_id = mp.txn_id;
            CREATE INDEX ON mp (account_id, seq);
            ANALYZE mp;
            INSERT INTO points_transaction (id, txn_key, kind, town_id, reason, created_at)
            SELECT txn_id, 'bench:' || txn_id, kind, 1, '基准数据', created_at
              FROM mp ORDER BY txn_id;
            SELECT setval(pg_get_serial_sequence('points_transaction', 'id'),
                          {transactions} + 1);
            """,
        ),
        (
            "hash chains",
            f"""
            CREATE TEMP TABLE chain AS
            WITH RECURSIVE c AS (
                SELECT m.account_id, m.seq, m.txn_id, m.amount, m.balance_after,
                       '{GENESIS_HASH}'::text AS prev_hash,
                       {_chain_step(f"'{GENESIS_HASH}'")} AS hash
                  FROM mp m WHERE m.seq = 1
                UNION ALL
                SELECT m.account_id, m.seq, m.txn_id, m.amount, m.balance_after,
                       c.hash, {_chain_step("c.hash")}
                  FROM c JOIN mp m ON m.account_id = c.account_id AND m.seq = c.seq + 1
            )
            SELECT * FROM c;
            """,
        ),
        (
            "postings",
            f"""
            INSERT INTO points_posting (transaction_id, account_id, amount, seq, balance_after,
                                        prev_hash, hash, created_at)
            SELECT txn_id, account_id, amount, seq, balance_after, prev_hash, hash, created_at
              FROM (
                SELECT c.txn_id, c.account_id, c.amount, c.seq, c.balance_after, c.prev_hash,
                       c.hash, m.created_at, 0 AS side
                  FROM chain c JOIN mp m ON m.txn_id = c.txn_id
                UNION ALL
                SELECT m.txn_id,
                       CASE WHEN m.kind = 'redemption' THEN {redemption} ELSE {issuance} END,
                       -m.amount, NULL, NULL, NULL, NULL, m.created_at, 1
                  FROM mp m
              ) legs
             ORDER BY txn_id, side;
            UPDATE points_account a
               SET balance = c.balance_after, last_seq = c.seq, last_hash = c.hash
              FROM (SELECT DISTINCT ON (account_id) account_id, seq, balance_after, hash
                      FROM chain ORDER BY account_id, seq DESC) c
             WHERE a.id = c.account_id;
            """,
        ),
        (
            "period totals",
            """
            WITH posted AS (
                SELECT m.account_id,
                       date_trunc('month', m.created_at AT TIME ZONE 'Asia/Shanghai')::date
                           AS month,
                       CASE WHEN m.kind = 'redemption' THEN 0 ELSE m.amount END AS earned,
                       CASE WHEN m.kind = 'redemption' THEN -m.amount ELSE 0 END AS spent
                  FROM mp m
            ), months AS (
                SELECT account_id, month, sum(earned) AS earned, sum(spent) AS spent
                  FROM posted GROUP BY 1, 2
            ), totals AS (
                SELECT account_id, 'month' AS period, month AS period_start, earned, spent
                  FROM months
                UNION ALL
                SELECT account_id, 'quarter', date_trunc('quarter', month)::date, sum(earned),
                       sum(spent) FROM months GROUP BY 1, 3
                UNION ALL
                SELECT account_id, 'year', date_trunc('year', month)::date, sum(earned),
                       sum(spent) FROM months GROUP BY 1, 3
            )
            INSERT INTO points_period_total (account_id, period, period_start, earned, spent,
                                             town_id, community_id, grid_id, building_id)
            SELECT t.account_id, t.period, t.period_start, t.earned, t.spent, p.town_id,
                   p.community_id, p.grid_id, p.building_id
              FROM totals t JOIN person p ON p.id = t.account_id;
            """,
        ),
        ("analyze", "RESET session_replication_role; ANALYZE"),
    ]


def generate(database_url: str, postings: int) -> None:
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        for label, statement in generation_steps(postings):
            started = time.perf_counter()
            conn.execute(statement.encode())
            print(f"  generate {label:<22} {time.perf_counter() - started:8.1f} s", flush=True)


async def _timed(label: str, work: Callable[[], Awaitable[Any]], repeat: int = REPEAT) -> None:
    for _ in range(5):  # warm-up: plans cached, pages in memory
        await work()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(
        f"  {label:<44} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms",
        flush=True,
    )


async def measure(settings: Settings, database_url: str) -> None:
    engine = create_engine(settings, database_url, pool_size=2, max_overflow=0)
    admin = Principal(
        kind="user",
        subject="user:bench",
        display_name="bench",
        grants=(
            Grant(
                role="town_admin",
                org_unit_id=1,
                level="town",
                permissions=frozenset({"points.read"}),
            ),
        ),
    )
    try:
        async with AsyncSession(engine) as session:
            counts = (await session.execute(verify.COUNTS)).one()
            print(
                f"  ledger: {counts[0]} accounts, {counts[1]} transactions, {counts[2]} postings,"
                f" {counts[3]} period totals",
                flush=True,
            )
            busiest = (
                await session.execute(
                    text(
                        "SELECT id, person_id, last_seq FROM points_account WHERE kind = 'member'"
                        " ORDER BY last_seq DESC LIMIT 1"
                    )
                )
            ).one()
            person = int(busiest.person_id)
            first = await read_service.statement(session, admin, person, StatementQuery(limit=20))
            middle = first
            for _ in range(max(int(busiest.last_seq) // 40, 1)):
                if middle.next_cursor is None:
                    break
                middle = await read_service.statement(
                    session, admin, person, StatementQuery(limit=20, cursor=middle.next_cursor)
                )
            print(f"  busiest member: {busiest.last_seq} postings", flush=True)

            async def statement_first() -> None:
                await read_service.statement(session, admin, person, StatementQuery(limit=20))

            async def statement_deep() -> None:
                await read_service.statement(
                    session, admin, person, StatementQuery(limit=20, cursor=middle.next_cursor)
                )

            async def summary() -> None:
                await read_service.account_summary(session, admin, person)

            def board(unit: int, period: Period, public: bool = False) -> Callable[[], Any]:
                query = RankingQuery(unit_id=unit, period=period, limit=20)
                call = read_service.public_list if public else read_service.leaderboard
                return lambda: call(session, admin, query)

            await _timed("statement, first page (20)", statement_first)
            await _timed("statement, page in the middle (20)", statement_deep)
            await _timed("balance and totals", summary)
            await _timed("leaderboard town, month (20)", board(1, Period.month))
            await _timed("leaderboard town, year (20)", board(1, Period.year))
            await _timed("leaderboard community, month (20)", board(2, Period.month))
            await _timed("公示 list community, quarter (20)", board(2, Period.quarter, True))
            await _explain(session, int(busiest.id))
    finally:
        await engine.dispose()
    started = time.perf_counter()
    report = await verify.run(settings, database_url)
    elapsed = time.perf_counter() - started
    print(f"  verify-ledger                                 {elapsed:8.1f} s", flush=True)
    print(f"  {report.summary()}", flush=True)
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.seconds.items())
    print(f"    by check: {timings}", flush=True)
    for difference in report.differences[:10]:
        print(f"    {difference}")


PLANS = {
    "statement page (busiest member)": (
        "SELECT p.id, p.amount, p.balance_after, t.kind, t.reason FROM points_posting p"
        " JOIN points_transaction t ON t.id = p.transaction_id"
        " WHERE p.account_id = :account ORDER BY p.id DESC LIMIT 21"
    ),
    "leaderboard town, year": (
        "SELECT r.account_id, r.earned, a.balance, p.name FROM ("
        " SELECT account_id, earned FROM points_period_total"
        " WHERE period = 'year' AND period_start = date_trunc('year', now())::date"
        " AND town_id = 1 AND town_id IN (1)"
        " ORDER BY earned DESC, account_id DESC LIMIT 21) r"
        " JOIN points_account a ON a.id = r.account_id JOIN person p ON p.id = a.person_id"
        " ORDER BY r.earned DESC, r.account_id DESC"
    ),
    "leaderboard community, month": (
        "SELECT r.account_id, r.earned, a.balance, p.name FROM ("
        " SELECT account_id, earned FROM points_period_total"
        " WHERE period = 'month' AND period_start = date_trunc('month', now())::date"
        " AND community_id = 2 AND town_id IN (1)"
        " ORDER BY earned DESC, account_id DESC LIMIT 21) r"
        " JOIN points_account a ON a.id = r.account_id JOIN person p ON p.id = a.person_id"
        " ORDER BY r.earned DESC, r.account_id DESC"
    ),
}


async def _explain(session: AsyncSession, account: int) -> None:
    """Server-side execution time and plan shape of the hot queries (the same SQL the
    repository emits): what the database itself spends, apart from Python."""
    for label, query in PLANS.items():
        plan = [
            line
            for (line,) in await session.execute(
                text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {query}"), {"account": account}
            )
        ]
        scans = sorted(
            {
                line.strip().split(" on ")[0].split("->")[-1].strip()
                + " on "
                + line.strip().split(" on ")[1].split(" ")[0]
                for line in plan
                if " on " in line and "Scan" in line
            }
        )
        executed = next(line for line in plan if line.startswith("Execution Time"))
        print(f"  SQL {label:<36} {executed}; {', '.join(scans)}", flush=True)


def main() -> None:
    from app.cli import migrate
    from bench.__main__ import server_url
    from tests.support.databases import base_name, drop_database, recreate_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    server = server_url()
    name = f"{base_name(server)}_points_ledger"
    url = recreate_database(server, name)
    settings = Settings.model_validate(
        {"env": "test", "secret_key": "bench-" + "x" * 40, "pii_key": "bench-" + "y" * 40}
    )
    try:
        migrate(url)
        print(f"points ledger benchmark: {args.postings} postings", flush=True)
        started = time.perf_counter()
        generate(url, args.postings)
        print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
        asyncio.run(measure(settings, url))
    finally:
        if not args.keep:
            drop_database(server, name)


if __name__ == "__main__":
    main()
