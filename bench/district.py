"""A district-scale database, filled through COPY: ``python -m bench district [--scale 0.01]``.

At ``--scale 1`` (every count multiplied by the scale):

- org units: 10 towns × 10 communities × 10 grids × 20 buildings × 6 households (141 k
  nodes, 120 k of them households), every row with its ancestor ids (itself included);
- 500 k people, placed in households in blocks (so neighbours by id live together), each
  with a valid, unique 身份证号 sealed by the application's own ``PiiCodec`` (AES-GCM
  ciphertext, keyed blind index, last four — one real encryption per person, no pool) and a
  mobile number;
- 50 k party members (every 10th person), their branch the grid they live in, each with a
  member points account; per town an issuance and a redemption account;
- 2 M service orders received over the last two years, ids rising with time, in statuses
  that fit their age (old ones mostly closed, some rejected / cancelled / merged; recent
  ones spread over every open status) with every timestamp their status implies, due
  times from their time-limit class, 回访 answers on closed ones; their events (one per
  step the status implies) are derived from the orders' timestamps in one INSERT … SELECT;
- 10 M postings: 5 M two-leg transactions over the last two years, member legs chained
  by the same SHA-256 format as ``app.points.ledger.chain_hash`` (computed here in
  Python), seq and running balances, every 7th posting of a member a redemption; account
  heads (balance, last_seq, last_hash) and period totals follow from them, so
  ``redgrid verify-ledger`` comes out clean.

The database is ``<BENCH_DATABASE_URL's name>_district`` (dropped and re-created, then
migrated). Secondary indexes of the bulk tables are dropped before the COPY and re-created
after it (faster than maintaining them row by row); foreign-key triggers are off for the
load (``session_replication_role = replica``). Each part prints how long it took.
"""

import argparse
import hashlib
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from app.config import Settings
from app.db.session import libpq_url
from app.kit.crypto import KeyRing
from app.people.models import MOBILE_AAD
from app.people.pii import PiiCodec
from app.points.models import GENESIS_HASH

BENCH_SETTINGS = {"env": "test", "secret_key": "bench-" + "x" * 40, "pii_key": "bench-" + "y" * 40}

TOWNS, COMMUNITIES, GRIDS, BUILDINGS, HOUSEHOLDS = 10, 10, 10, 20, 6
PEOPLE, MEMBER_EVERY, ORDERS, POSTINGS = 500_000, 10, 2_000_000, 10_000_000
DAYS = 730
RECENT_STATUSES = (  # cumulative shares of the orders of the last 30 days
    ("submitted", 0.05), ("triaged", 0.10), ("dispatched", 0.20), ("pooled", 0.27),
    ("in_progress", 0.45), ("resolved", 0.60), ("closed", 0.92), ("rejected", 0.95),
    ("cancelled", 1.0),
)  # fmt: skip
BULK_TABLES = (
    "org_unit",
    "person",
    "party_member",
    "points_account",
    "points_transaction",
    "points_posting",
    "points_period_total",
    "service_order",
    "service_order_event",
)


class Shape:
    """Counts at a scale: towns shrink first, then buildings per grid; people, members,
    orders and postings are the full counts times the scale."""

    def __init__(self, scale: float) -> None:
        self.towns = max(1, round(TOWNS * scale))
        rest = scale * TOWNS / self.towns
        self.buildings = max(1, round(BUILDINGS * rest))
        self.people = max(100, round(PEOPLE * scale))
        self.orders = max(100, round(ORDERS * scale))
        self.transactions = max(100, round(POSTINGS * scale) // 2)


def _id_number(i: int) -> str:
    """A valid, unique 18-digit ID number for person ``i`` (GB 11643 check digit)."""
    born = date(1940, 1, 1) + timedelta(days=i % 25_000)
    serial = (i // 25_000) % 1000
    region = 110101 + (i // 25_000_000)
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


@contextmanager
def _timed(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"  {label:<40} {time.perf_counter() - started:8.1f} s", flush=True)


def _copy(conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: Any) -> int:
    n = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


class District:
    def __init__(self, conn: psycopg.Connection, shape: Shape, codec: PiiCodec) -> None:
        self.conn, self.shape, self.codec = conn, shape, codec
        # Phone numbers are sealed like the app seals them (``person.mobile``, ``Sealed``).
        self.ring = KeyRing(*Settings.model_validate(BENCH_SETTINGS).pii_keyring())
        self.rng = random.Random(12)
        self.now = datetime.now(UTC).replace(microsecond=0)
        # household index -> (town, community, grid, building, household) ids
        self.households: list[tuple[int, int, int, int, int]] = []
        self.person_place: list[int] = []  # person index -> household index
        self.members: list[int] = []  # member index -> person id

    # ------------------------------------------------------------------ hierarchy
    def org_units(self) -> int:
        s, rows = self.shape, []
        next_id = 1
        for t in range(s.towns):
            town = next_id
            next_id += 1
            rows.append((town, f"T{t}", f"镇{t}", "town", None, None, town, None, None, None, None))
            for c in range(COMMUNITIES):
                comm = next_id
                next_id += 1
                rows.append(
                    (
                        comm,
                        f"T{t}C{c}",
                        f"社区{t}-{c}",
                        "community",
                        town,
                        None,
                        town,
                        comm,
                        None,
                        None,
                        None,
                    )
                )
                for g in range(GRIDS):
                    grid = next_id
                    next_id += 1
                    rows.append(
                        (
                            grid,
                            f"T{t}C{c}G{g}",
                            f"网格{g}",
                            "grid",
                            comm,
                            "compound",
                            town,
                            comm,
                            grid,
                            None,
                            None,
                        )
                    )
                    for b in range(s.buildings):
                        bld = next_id
                        next_id += 1
                        code = f"T{t}C{c}G{g}B{b}"
                        rows.append(
                            (
                                bld,
                                code,
                                f"{b + 1}号楼",
                                "building",
                                grid,
                                None,
                                town,
                                comm,
                                grid,
                                bld,
                                None,
                            )
                        )
                        for h in range(HOUSEHOLDS):
                            hh = next_id
                            next_id += 1
                            rows.append(
                                (
                                    hh,
                                    f"{code}H{h}",
                                    f"{h + 1}01室",
                                    "household",
                                    bld,
                                    None,
                                    town,
                                    comm,
                                    grid,
                                    bld,
                                    hh,
                                )
                            )
                            self.households.append((town, comm, grid, bld, hh))
        cols = ("id", "code", "name", "level", "parent_id", "grid_kind", "town_id",
                "community_id", "grid_id", "building_id", "household_id")  # fmt: skip
        _copy(self.conn, "org_unit", cols, rows)
        self._setval("org_unit", next_id)
        return len(rows)

    # ------------------------------------------------------------------ people
    def people(self) -> int:
        n, homes = self.shape.people, len(self.households)
        self.person_place = [i * homes // n for i in range(n)]

        def rows() -> Iterator[tuple[Any, ...]]:
            for i in range(n):
                town, comm, grid, bld, hh = self.households[self.person_place[i]]
                sealed = self.codec.seal(_id_number(i))
                mobile = f"139{i:08d}"
                yield (
                    i + 1, f"居民{i + 1}", self.ring.encrypt(mobile, associated_data=MOBILE_AAD),
                    self.ring.index(mobile), sealed.cipher, sealed.hash,
                    sealed.last4, sealed.gender, sealed.birth_date, hh, town, comm, grid, bld, hh,
                )  # fmt: skip

        cols = ("id", "name", "mobile", "mobile_hash", "id_number_cipher", "id_number_hash",
                "id_number_last4", "gender", "birth_date", "home_unit_id", "town_id",
                "community_id", "grid_id", "building_id", "household_id")  # fmt: skip
        _copy(self.conn, "person", cols, rows())
        self._setval("person", n + 1)
        return n

    def members_and_accounts(self) -> int:
        self.members = [i + 1 for i in range(0, self.shape.people, MEMBER_EVERY)]
        rows = []
        for m, person in enumerate(self.members):
            town, comm, grid, _, _ = self.households[self.person_place[person - 1]]
            joined = date(1970, 1, 1) + timedelta(days=(m * 37) % 19_000)
            rows.append((m + 1, person, grid, joined, comm, town, comm, grid))
        cols = ("id", "person_id", "branch_id", "join_date", "residence_community_id",
                "town_id", "community_id", "grid_id")  # fmt: skip
        _copy(self.conn, "party_member", cols, rows)
        self._setval("party_member", len(rows) + 1)
        return len(rows)

    # ------------------------------------------------------------------ ledger
    def ledger(self) -> int:
        """Transactions, both legs of each, chained member postings; then account heads."""
        members, n = len(self.members), self.shape.transactions
        towns = sorted({h[0] for h in self.households})
        town_of = [self.households[self.person_place[p - 1]][0] for p in self.members]
        system = {t: (members + 1 + 2 * k, members + 2 + 2 * k) for k, t in enumerate(towns)}
        seq, balance, head = [0] * members, [0] * members, [GENESIS_HASH] * members
        span = DAYS * 86400 / n
        start = self.now - timedelta(days=DAYS)
        txn_cols = ("id", "txn_key", "kind", "town_id", "reason", "created_at")
        post_cols = ("id", "transaction_id", "account_id", "amount", "seq", "balance_after",
                     "prev_hash", "hash", "created_at")  # fmt: skip
        other = psycopg.connect(self.conn.info.dsn, autocommit=True)
        other.execute("SET session_replication_role = replica")
        sha = hashlib.sha256
        with (
            self.conn.cursor() as c1,
            c1.copy(f"COPY points_transaction ({', '.join(txn_cols)}) FROM STDIN") as txns,
            other.cursor() as c2,
            c2.copy(f"COPY points_posting ({', '.join(post_cols)}) FROM STDIN") as posts,
        ):
            for t in range(1, n + 1):
                m = (t * 7919) % members
                account = m + 1
                s = seq[m] + 1
                redeem = s % 7 == 0
                amount = -3 if redeem else 5 + t % 16
                bal = balance[m] + amount
                prev = head[m]
                digest = sha(f"{prev}|{account}|{s}|{t}|{amount}|{bal}".encode()).hexdigest()
                seq[m], balance[m], head[m] = s, bal, digest
                at = start + timedelta(seconds=t * span)
                kind = "redemption" if redeem else "order_award"
                txns.write_row((t, f"bench:{t}", kind, town_of[m], "基准数据", at))
                issuance, redemption = system[town_of[m]]
                posts.write_row((2 * t - 1, t, account, amount, s, bal, prev, digest, at))
                posts.write_row(
                    (
                        2 * t,
                        t,
                        redemption if redeem else issuance,
                        -amount,
                        None,
                        None,
                        None,
                        None,
                        at,
                    )
                )
        other.close()
        rows = [
            (m + 1, "member", town_of[m], person, balance[m], seq[m], head[m])
            for m, person in enumerate(self.members)
        ]
        for town, (issuance, redemption) in system.items():
            rows.append((issuance, "issuance", town, None, 0, 0, GENESIS_HASH))
            rows.append((redemption, "redemption", town, None, 0, 0, GENESIS_HASH))
        cols = ("id", "kind", "town_id", "person_id", "balance", "last_seq", "last_hash")
        _copy(self.conn, "points_account", cols, rows)
        self._setval("points_account", len(rows) + 1)
        self._setval("points_transaction", n + 1)
        self._setval("points_posting", 2 * n + 1)
        return 2 * n

    def period_totals(self) -> None:
        self.conn.execute(
            """
            WITH posted AS (
                SELECT p.account_id,
                       date_trunc('month', p.created_at AT TIME ZONE 'Asia/Shanghai')::date
                           AS month,
                       CASE WHEN p.amount > 0 THEN p.amount ELSE 0 END AS earned,
                       CASE WHEN p.amount < 0 THEN -p.amount ELSE 0 END AS spent
                  FROM points_posting p WHERE p.seq IS NOT NULL
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
                                             town_id, community_id, grid_id, building_id,
                                             household_id)
            SELECT t.account_id, t.period, t.period_start, t.earned, t.spent, p.town_id,
                   p.community_id, p.grid_id, p.building_id, p.household_id
              FROM totals t JOIN points_account a ON a.id = t.account_id
              JOIN person p ON p.id = a.person_id
            """
        )

    # ------------------------------------------------------------------ orders
    def orders(self) -> int:
        rng, n, people = self.rng, self.shape.orders, self.shape.people
        categories = self.conn.execute(
            "SELECT c.code, t.code, t.response_hours, t.resolve_amount, t.resolve_unit"
            " FROM order_category c JOIN time_limit_class t ON t.code = c.default_time_limit"
        ).fetchall()
        start = self.now - timedelta(days=DAYS)
        span = DAYS * 86400 / n
        day_counter: dict[date, int] = {}
        hour = timedelta(hours=1)

        def status_for(age_days: float) -> str:
            r = rng.random()
            if age_days > 30:
                for status, p in (("closed", 0.90), ("rejected", 0.94), ("cancelled", 0.97),
                                  ("merged", 0.98), ("resolved", 1.0)):  # fmt: skip
                    if r < p:
                        return status
            for status, p in RECENT_STATUSES:
                if r < p:
                    return status
            return "closed"

        def rows() -> Iterator[tuple[Any, ...]]:
            for i in range(1, n + 1):
                received = start + timedelta(seconds=i * span)
                local_day = (received + timedelta(hours=8)).date()
                number = day_counter.get(local_day, 0) + 1
                day_counter[local_day] = number
                person = rng.randrange(people)
                town, comm, grid, bld, hh = self.households[self.person_place[person]]
                category, limit, response_h, resolve_n, resolve_unit = rng.choice(categories)
                resolve_h = resolve_n if resolve_unit == "hours" else resolve_n * 24 * 7 / 5
                status = status_for((self.now - received).total_seconds() / 86400)
                triaged = dispatched = accepted = contact = resolved = feedback = closed = None
                kind = member = None
                fb_resolved = fb_satisfaction = result = reject = None
                merged_into = None
                if status not in ("submitted", "rejected", "cancelled", "merged") or (
                    status == "cancelled" and rng.random() < 0.5
                ):
                    triaged = received + hour * rng.uniform(0.1, 2)
                if status in ("rejected", "merged"):
                    triaged = received + hour * rng.uniform(0.1, 2)
                    reject = "不属于受理范围" if status == "rejected" else None
                    merged_into = max(1, i - 1 - rng.randrange(50)) if status == "merged" else None
                    if merged_into == i:
                        merged_into = None
                if status in ("dispatched", "pooled", "in_progress", "resolved", "closed"):
                    dispatched = triaged + hour * rng.uniform(0.1, 3)  # type: ignore[operator]
                    kind = "pool" if status == "pooled" else "member"
                    if kind == "member":
                        member = self.members[min(person // MEMBER_EVERY, len(self.members) - 1)]
                if status in ("in_progress", "resolved", "closed"):
                    accepted = dispatched + hour * rng.uniform(0.1, 4)  # type: ignore[operator]
                    contact = accepted + hour * rng.uniform(0.1, 2)
                if status in ("resolved", "closed"):
                    resolved = contact + hour * rng.uniform(1, resolve_h * 1.2)  # type: ignore[operator]
                    result = "已处理完毕"
                if status == "closed":
                    feedback = resolved + hour * rng.uniform(2, 48)  # type: ignore[operator]
                    closed = feedback
                    fb_resolved = rng.choices(("yes", "partly", "no"), (85, 10, 5))[0]
                    fb_satisfaction = rng.choices(("satisfied", "basically", "not"), (80, 15, 5))[0]
                updated = closed or resolved or contact or dispatched or triaged or received
                yield (
                    i, f"GD{local_day:%Y%m%d}-{number:06d}", status, category,
                    rng.choice(("miniprogram", "phone", "walk_in", "app", "patrol")),
                    f"{category} 工单 {i}", "基准数据：居民诉求描述", hh, person + 1,
                    rng.randint(1, 4), limit, kind, member, merged_into, reject, result,
                    fb_resolved, fb_satisfaction, received, triaged, dispatched, accepted,
                    contact, resolved, feedback, closed,
                    received + hour * float(response_h), received + hour * resolve_h,
                    town, comm, grid, bld, hh, received, updated,
                )  # fmt: skip

        cols = ("id", "number", "status", "category", "channel", "title", "description",
                "location_unit_id", "resident_person_id", "priority", "time_limit",
                "assignee_kind", "assignee_person_id", "merged_into_id", "reject_reason",
                "result", "feedback_resolved", "feedback_satisfaction", "received_at",
                "triaged_at", "dispatched_at", "accepted_at", "first_contact_at", "resolved_at",
                "feedback_at", "closed_at", "response_due_at", "resolve_due_at", "town_id",
                "community_id", "grid_id", "building_id", "household_id", "created_at",
                "updated_at")  # fmt: skip
        _copy(self.conn, "service_order", cols, rows())
        _copy(
            self.conn,
            "order_number_counter",
            ("day", "last_value"),
            sorted(day_counter.items()),
        )
        self._setval("service_order", n + 1)
        return n

    def order_events(self) -> int:
        """One event per step an order's timestamps say it went through."""
        cur = self.conn.execute(
            """
            INSERT INTO service_order_event (order_id, step, from_status, to_status,
                                             actor_name, occurred_at)
            SELECT o.id, e.step, e.from_status, e.to_status, '基准', e.at
              FROM service_order o
             CROSS JOIN LATERAL (VALUES
                (0, 'submit', NULL, 'submitted', o.received_at),
                (1, 'triage', 'submitted', 'triaged', o.triaged_at),
                (2, CASE WHEN o.assignee_kind = 'pool' THEN 'pool' ELSE 'dispatch' END,
                    'triaged', CASE WHEN o.assignee_kind = 'pool' THEN 'pooled'
                                    ELSE 'dispatched' END, o.dispatched_at),
                (3, 'accept', 'dispatched', 'in_progress', o.accepted_at),
                (4, 'contact', 'in_progress', 'in_progress', o.first_contact_at),
                (5, 'resolve', 'in_progress', 'resolved', o.resolved_at),
                (6, 'confirm', 'resolved', 'closed', o.closed_at),
                (7, CASE o.status WHEN 'rejected' THEN 'reject' WHEN 'merged' THEN 'merge'
                                  ELSE 'cancel' END,
                    CASE WHEN o.triaged_at IS NULL THEN 'submitted' ELSE 'triaged' END,
                    o.status,
                    CASE WHEN o.status IN ('rejected', 'merged', 'cancelled')
                         THEN coalesce(o.triaged_at, o.received_at) + interval '1 hour' END)
             ) AS e(n, step, from_status, to_status, at)
             WHERE e.at IS NOT NULL
             ORDER BY o.id, e.n
            """
        )
        return cur.rowcount

    # ------------------------------------------------------------------ helpers
    def _setval(self, table: str, next_value: int) -> None:
        self.conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {next_value}, false)"
        )


def _secondary_indexes(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
         WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        (list(BULK_TABLES),),
    ).fetchall()


def generate(url: str, scale: float) -> None:
    shape = Shape(scale)
    codec = PiiCodec(Settings.model_validate(BENCH_SETTINGS).pii_key)
    print(
        f"district at scale {scale}: {shape.towns} towns, {shape.buildings} buildings per grid,"
        f" {shape.people} people, {shape.orders} orders, {2 * shape.transactions} postings",
        flush=True,
    )
    total = time.perf_counter()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET maintenance_work_mem = '512MB'")
        district = District(conn, shape, codec)
        indexes = _secondary_indexes(conn)
        with _timed(f"drop {len(indexes)} secondary indexes"):
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
        with _timed("org units"):
            print(f"    {district.org_units()} org units", flush=True)
        with _timed("people (one AES-GCM seal each)"):
            print(f"    {district.people()} people", flush=True)
        with _timed("party members"):
            print(f"    {district.members_and_accounts()} members", flush=True)
        with _timed("ledger: transactions, postings, chains"):
            print(f"    {district.ledger()} postings", flush=True)
        with _timed("period totals"):
            district.period_totals()
        with _timed("orders"):
            print(f"    {district.orders()} orders", flush=True)
        with _timed("order events"):
            print(f"    {district.order_events()} events", flush=True)
        with _timed(f"re-create {len(indexes)} secondary indexes"):
            for _, definition in indexes:
                conn.execute(definition)
        conn.execute("RESET session_replication_role")
        with _timed("vacuum analyze"):
            conn.execute("VACUUM ANALYZE")
    print(f"  generated in {time.perf_counter() - total:.1f} s", flush=True)


def district_database(server: str, scale: float) -> tuple[str, str]:
    from tests.support.databases import base_name, database_url

    suffix = "district" if scale == 1.0 else f"district_{str(scale).replace('.', '_')}"
    name = f"{base_name(server)}_{suffix}"
    return name, database_url(server, name)


def build(server: str, scale: float) -> str:
    from app.cli import migrate
    from tests.support.databases import recreate_database

    name, _ = district_database(server, scale)
    url = recreate_database(server, name)
    with _timed("migrate"):
        migrate(url)
    generate(url, scale)
    return url


def main(argv: list[str] | None = None) -> None:
    from bench.__main__ import server_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every count")
    args = parser.parse_args(argv)
    url = build(server_url(), args.scale)
    print(f"database: {url}")


if __name__ == "__main__":
    main()
