"""Scoped lists keep their index plan as generic plans.

asyncpg prepares every statement, and after five executions PostgreSQL may switch a
prepared statement to a generic plan, made without the parameter values (a community
id, a cursor). A list whose generic plan walked the primary key, or scanned the table,
would slow down by the size of the district from the sixth request of a connection on.

Each test captures the list statement the API really executes for a request (the SQL
and its parameters), prepares it, executes it more than five times and asks ``EXPLAIN
EXECUTE`` for the plan in use, once with ``plan_cache_mode = force_custom_plan`` (the
values known: the data makes the planner prefer the scoped index) and once with
``force_generic_plan``: both must read the list's scoped keyset index, never a
sequential scan or the primary key. The data: 5,000 rows over 100 communities (each
1 %, as a community's share of a district), interleaved as time interleaves them, and
analysed. ``enable_seqscan`` stays on: the index wins on its cost.

Measured while writing this: with 40 communities (2.5 % each) the planner walks the
primary key backwards and filters, custom and generic plans alike; that is its cost
model on uniformly spread rows, not a generic-plan regression.
"""

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.orders.models import ServiceOrder
from app.people.models import Person
from app.points.models import PointsAccount, PointsPosting, PointsTransaction
from tests.support.factory import bearer, make_person, make_unit, make_user, place_of

COMMUNITIES = 100
PER_COMMUNITY = 50
EXECUTIONS = 8  # past the five after which PostgreSQL considers a generic plan
OTHERS = 10_000_000
"""Ancestor ids of the other communities' rows (ancestor columns carry no foreign key):
the caller's community is one of ``COMMUNITIES``, interleaved with the rest."""


def _places(home: OrgUnit) -> Iterator[dict[str, int | None]]:
    """``PER_COMMUNITY`` rounds over every community, the caller's (``home``) first:
    rows of one community are spread over the whole table, as time spreads them."""
    for _ in range(PER_COMMUNITY):
        yield place_of(home)
        for k in range(1, COMMUNITIES):
            yield {
                "town_id": home.town_id,
                "community_id": OTHERS + k,
                "grid_id": OTHERS + COMMUNITIES + k,
                "building_id": None,
                "household_id": None,
            }


async def _household(db: AsyncSession) -> OrgUnit:
    town = await make_unit(db, "town")
    community = await make_unit(db, "community", town)
    grid = await make_unit(db, "grid", community)
    building = await make_unit(db, "building", grid)
    return await make_unit(db, "household", building)


@contextmanager
def captured(app: FastAPI) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the app's engine sends, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date | uuid.UUID):
        return f"'{value.isoformat() if not isinstance(value, uuid.UUID) else value}'"
    if isinstance(value, list | tuple):
        return "ARRAY[" + ", ".join(_literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def prepared_plan(
    connection: AsyncConnection, statement: str, parameters: Any, mode: str
) -> list[dict]:
    """Every node of the plan ``statement`` runs with, prepared and executed
    ``EXECUTIONS`` times under ``plan_cache_mode = mode``."""
    args = ", ".join(_literal(p) for p in parameters)
    call = f"EXECUTE scoped_list({args})" if args else "EXECUTE scoped_list"
    await connection.execute(text(f"SET LOCAL plan_cache_mode = {mode}"))
    await connection.exec_driver_sql(f"PREPARE scoped_list AS {statement}")
    try:
        for _ in range(EXECUTIONS):
            await connection.exec_driver_sql(call)
        counts = await connection.exec_driver_sql(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE name = 'scoped_list'"
        )
        generic, custom = counts.one()
        assert (generic if mode == "force_generic_plan" else custom) >= EXECUTIONS
        explained = await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {call}")
        plan = explained.scalar_one()
    finally:
        await connection.exec_driver_sql("DEALLOCATE scoped_list")
        await connection.execute(text("SET LOCAL plan_cache_mode = auto"))
    document = plan if isinstance(plan, list) else json.loads(plan)
    return list(_nodes(document[0]["Plan"]))


def _list_statement(seen: list[tuple[str, Any]], table: str) -> tuple[str, Any]:
    """The page query: the one statement reading ``table`` with a LIMIT."""
    pages = [(s, p) for s, p in seen if f"FROM {table}" in s and "LIMIT" in s]
    assert len(pages) == 1, [s for s, _ in seen]
    return pages[0]


def shape(nodes: list[dict], table: str) -> list[tuple[str, str | None]]:
    """How the plan reaches ``table``: its scans and the indexes they read, in order."""
    return [
        (n["Node Type"], n.get("Index Name"))
        for n in nodes
        if n.get("Relation Name") == table or n["Node Type"] == "Bitmap Index Scan"
    ]


async def assert_keeps_index(
    connection: AsyncConnection, page: tuple[str, Any], table: str, index: str
) -> None:
    """The statement reads ``index`` with its parameters known (a custom plan: the data
    makes the planner prefer it), and still after many executions as a generic plan."""
    statement, parameters = page
    custom = shape(
        await prepared_plan(connection, statement, parameters, "force_custom_plan"), table
    )
    generic = shape(
        await prepared_plan(connection, statement, parameters, "force_generic_plan"), table
    )
    for plan in (custom, generic):
        assert {name for _, name in plan if name} == {index}, plan
        assert "Seq Scan" not in {node for node, _ in plan}, plan


async def _page(
    app: FastAPI, client: httpx.AsyncClient, url: str, headers: dict[str, str], table: str
) -> tuple[str, Any]:
    with captured(app) as seen:
        page = await client.get(url, headers=headers)
    assert page.status_code == 200, page.text
    assert len(page.json()["items"]) == 20
    return _list_statement(seen, table)


async def test_orders_in_scope_keep_their_index_as_a_generic_plan(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    connection: AsyncConnection,
    settings: Settings,
) -> None:
    home = await _household(db)
    now = datetime.now(UTC)
    await db.execute(
        insert(ServiceOrder),
        [
            {
                "number": f"GDPLAN-{home.id}-{n:06d}",
                "status": "submitted",
                "category": "repair",
                "channel": "app",
                "title": "楼道灯不亮",
                "description": "三楼楼道灯坏了",
                "location_unit_id": home.id,
                "received_at": now - timedelta(seconds=n),
                **place,
            }
            for n, place in enumerate(_places(home))
        ],
    )
    await connection.execute(text("ANALYZE service_order"))
    for level, role in (("community", "dispatcher"), ("grid", "grid_worker")):
        unit = await db.get(OrgUnit, getattr(home, f"{level}_id"))
        assert unit is not None
        staff = await make_user(db, (role, unit))
        page = await _page(
            app, client, "/api/v1/orders?limit=20", bearer(settings, staff), "service_order"
        )
        await assert_keeps_index(
            connection, page, "service_order", f"ix_service_order_{level}_id_id"
        )


async def test_people_in_scope_keep_their_index_as_a_generic_plan(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    connection: AsyncConnection,
    settings: Settings,
) -> None:
    home = await _household(db)
    await db.execute(
        insert(Person),
        [
            {"name": f"居民{n}", "home_unit_id": home.id, **place}
            for n, place in enumerate(_places(home))
        ],
    )
    await connection.execute(text("ANALYZE person"))
    community = await db.get(OrgUnit, home.community_id)
    assert community is not None
    staff = await make_user(db, ("community_admin", community))
    page = await _page(app, client, "/api/v1/people?limit=20", bearer(settings, staff), "person")
    await assert_keeps_index(connection, page, "person", "ix_person_community_id_id")


async def test_a_statement_page_keeps_its_index_as_a_generic_plan(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    connection: AsyncConnection,
    settings: Settings,
) -> None:
    """The member's postings (积分明细) among those of ``COMMUNITIES`` accounts."""
    home = await _household(db)
    person = await make_person(db, home)
    member = await make_user(db, ("member", home), person_id=person.id)
    others = (
        (
            await db.execute(
                insert(Person).returning(Person.id),
                [
                    {"name": f"党员{n}", "home_unit_id": home.id, **place_of(home)}
                    for n in range(1, COMMUNITIES)
                ],
            )
        )
        .scalars()
        .all()
    )
    accounts = (
        (
            await db.execute(
                insert(PointsAccount).returning(PointsAccount.id),
                [
                    {"kind": "member", "town_id": home.town_id, "person_id": p}
                    for p in [person.id, *others]
                ],
            )
        )
        .scalars()
        .all()
    )
    transactions = (
        (
            await db.execute(
                insert(PointsTransaction).returning(PointsTransaction.id),
                [
                    {
                        "txn_key": f"plan-{home.id}-{n}",
                        "kind": "manual_award",
                        "town_id": home.town_id,
                    }
                    for n in range(PER_COMMUNITY)
                ],
            )
        )
        .scalars()
        .all()
    )
    await db.execute(
        insert(PointsPosting),
        [
            {
                "transaction_id": txn,
                "account_id": account,
                "amount": 1,
                "seq": seq,
                "balance_after": seq,
            }
            for seq, txn in enumerate(transactions, start=1)
            for account in accounts
        ],
    )
    await connection.execute(text("ANALYZE points_posting"))
    page = await _page(
        app,
        client,
        "/api/v1/points/me/statement?limit=20",
        bearer(settings, member),
        "points_posting",
    )
    await assert_keeps_index(connection, page, "points_posting", "ix_points_posting_account_id_id")
