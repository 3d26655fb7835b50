"""All SQL of the org-unit domain. Visibility always comes from ``Scope.clause``."""

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import asyncpg
from sqlalchemy import (
    ColumnElement,
    Row,
    String,
    and_,
    any_,
    bindparam,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

# Every model, so the scoped-table registry that a move rewrites is complete wherever
# a move can run (app.db.scoped reads it from the mappers).
import app.db.models  # noqa: F401
from app.authz.scope import Scope
from app.db import scoped
from app.hierarchy.errors import CodeTaken
from app.hierarchy.models import LEVELS, OrgUnit
from app.hierarchy.rules import ANCESTOR_COLUMNS
from app.kit.search import contains

COPY_COLUMNS = (
    "id",
    "code",
    "name",
    "level",
    "parent_id",
    "grid_kind",
    "address",
    "contact_name",
    "contact_phone",
    *ANCESTOR_COLUMNS,
)
"""Columns an import writes with COPY; the rest take their server defaults."""

_CODE_CONSTRAINT = "uq_org_unit_code"
_LEVEL_ORDER = func.array_position(literal(list(LEVELS), ARRAY(String)), OrgUnit.level)


async def get(
    session: AsyncSession, unit_id: int, scope: Scope, *, for_update: bool = False
) -> OrgUnit | None:
    query = select(OrgUnit).where(OrgUnit.id == unit_id, scope.clause(OrgUnit))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def lock_chain(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, OrgUnit]:
    """``FOR SHARE`` on nodes (a parent and its ancestors) that a write hangs under.

    A move takes ``FOR UPDATE`` on the node it moves before rewriting the subtree, so
    a create or import under that subtree waits for it (or it for them), and nobody
    writes ancestor columns that a concurrent move has just made stale.
    """
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.execute(
        select(OrgUnit)
        .where(OrgUnit.id.in_(wanted))
        .order_by(OrgUnit.id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    return {unit.id: unit for unit in rows.scalars()}


async def code_exists(session: AsyncSession, code: str) -> bool:
    found = await session.scalar(select(OrgUnit.id).where(OrgUnit.code == code))
    return found is not None


async def existing_codes(session: AsyncSession, codes: Sequence[str]) -> set[str]:
    """Which of ``codes`` are taken, by anyone (codes are unique across the whole system)."""
    taken: set[str] = set()
    codes_param = bindparam("codes", type_=ARRAY(String))
    query = select(OrgUnit.code).where(OrgUnit.code == any_(codes_param))
    for start in range(0, len(codes), 20_000):
        rows = await session.scalars(query, {"codes": list(codes[start : start + 20_000])})
        taken.update(rows)
    return taken


async def by_codes(session: AsyncSession, codes: Sequence[str], scope: Scope) -> list[OrgUnit]:
    if not codes:
        return []
    codes_param = bindparam("codes", type_=ARRAY(String))
    rows = await session.scalars(
        select(OrgUnit).where(OrgUnit.code == any_(codes_param), scope.clause(OrgUnit)),
        {"codes": list(codes)},
    )
    return list(rows)


async def add(session: AsyncSession, unit: OrgUnit) -> OrgUnit:
    session.add(unit)
    await flush(session)
    return unit


async def flush(session: AsyncSession) -> None:
    """Flush; a code taken by a concurrent transaction meanwhile is a 409, not a 500."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if _CODE_CONSTRAINT in str(exc.orig):
            raise CodeTaken() from None
        raise


def _search(q: str) -> ColumnElement[bool]:
    # Substring match served by the pg_trgm GIN indexes on name and code.
    return contains(q, OrgUnit.name, OrgUnit.code)


async def page(
    session: AsyncSession,
    scope: Scope,
    *,
    limit: int,
    after_id: int | None,
    q: str | None = None,
    level: str | None = None,
    parent_id: int | None = None,
    include_archived: bool = False,
) -> list[OrgUnit]:
    """Up to ``limit`` units after ``after_id``, ordered by id (a keyset page)."""
    query = select(OrgUnit).where(scope.clause(OrgUnit))
    if q:
        query = query.where(_search(q))
    if level is not None:
        query = query.where(OrgUnit.level == level)
    if parent_id is not None:
        query = query.where(OrgUnit.parent_id == parent_id)
    if not include_archived:
        query = query.where(OrgUnit.is_archived.is_(False))
    if after_id is not None:
        query = query.where(OrgUnit.id > after_id)
    rows = await session.scalars(query.order_by(OrgUnit.id).limit(limit))
    return list(rows)


async def by_ids(session: AsyncSession, ids: Iterable[int], scope: Scope) -> list[OrgUnit]:
    rows = await session.scalars(
        select(OrgUnit)
        .where(OrgUnit.id.in_(sorted(set(ids))), scope.clause(OrgUnit))
        .order_by(_LEVEL_ORDER)
    )
    return list(rows)


async def subtree_nodes(
    session: AsyncSession, root: OrgUnit, scope: Scope, levels: Sequence[str]
) -> list[OrgUnit]:
    """Live nodes of ``root``'s subtree at ``levels``, parents before children."""
    subtree = Scope.of([(root.level, root.id)])
    rows = await session.scalars(
        select(OrgUnit)
        .where(
            subtree.clause(OrgUnit),
            scope.clause(OrgUnit),
            OrgUnit.level.in_(levels),
            OrgUnit.is_archived.is_(False),
        )
        .order_by(_LEVEL_ORDER, OrgUnit.id)
    )
    return list(rows)


async def subtree_counts(
    session: AsyncSession, level: str, node_id: int, group_columns: Sequence[str]
) -> list[tuple[str, str, int, int]]:
    """Live descendants per (ancestor, level) inside a subtree, in one GROUP BY.

    Returns ``(ancestor column, level, ancestor id, count)``; the rows of each
    grouping set are told apart with ``GROUPING()``, never by recursion.
    """
    root_column = getattr(OrgUnit, ANCESTOR_COLUMNS[LEVELS.index(level)])
    columns = [getattr(OrgUnit, name) for name in group_columns]
    grouping = func.grouping(*columns).label("grouping")
    rows = await session.execute(
        select(OrgUnit.level, *columns, func.count().label("n"), grouping)
        .where(root_column == node_id, OrgUnit.is_archived.is_(False))
        .group_by(text("GROUPING SETS (" + ", ".join(f"(level, {c})" for c in group_columns) + ")"))
    )
    result: list[tuple[str, str, int, int]] = []
    width = len(group_columns)
    for row in rows:
        level_value, *ids, n, bits = row
        # GROUPING() sets bit (width-1-i) when column i is NOT grouped in this row.
        for i, name in enumerate(group_columns):
            if not bits & (1 << (width - 1 - i)) and ids[i] is not None:
                result.append((name, level_value, ids[i], n))
    return result


async def count_live_children(session: AsyncSession, unit_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(OrgUnit)
        .where(OrgUnit.parent_id == unit_id, OrgUnit.is_archived.is_(False))
    )
    return int(count or 0)


async def rewrite_subtree(
    session: AsyncSession, level: str, node_id: int, ancestors: dict[str, int | None]
) -> dict[str, int]:
    """Give everything under a moved node its new ancestors: nodes, people, orders,
    points … every scoped table of the registry, one UPDATE each (``app.db.scoped``)."""
    return await scoped.rewrite_ancestors(
        session, ANCESTOR_COLUMNS[LEVELS.index(level)], node_id, ancestors
    )


async def count_live_people_under(session: AsyncSession, level: str, node_id: int) -> int:
    """Live people and memberships under a node: the scoped tables whose model sets
    ``blocks_archive``, so the hierarchy asks without importing the people domain."""
    return await scoped.count_live_under(session, ANCESTOR_COLUMNS[LEVELS.index(level)], node_id)


async def count_open_work_under(session: AsyncSession, level: str, node_id: int) -> int:
    """Open orders under a node, over the tables that declare ``terminal_statuses``."""
    return await scoped.count_open_under(session, ANCESTOR_COLUMNS[LEVELS.index(level)], node_id)


async def set_parent(session: AsyncSession, unit_id: int, parent_id: int) -> None:
    await session.execute(
        update(OrgUnit)
        .where(OrgUnit.id == unit_id)
        .values(parent_id=parent_id)
        .execution_options(synchronize_session=False)
    )


async def refresh(session: AsyncSession, unit: OrgUnit) -> None:
    await session.refresh(unit)


async def allocate_ids(session: AsyncSession, n: int) -> list[int]:
    """``n`` ids from the identity sequence in one round trip, so ancestors can be
    computed before the rows exist and written with one COPY."""
    rows = await session.scalars(
        text(
            "SELECT nextval(pg_get_serial_sequence('org_unit', 'id')) FROM generate_series(1, :n)"
        ),
        {"n": n},
    )
    return list(rows)


async def copy_units(session: AsyncSession, records: Iterable[tuple[Any, ...]]) -> None:
    """Bulk insert through asyncpg COPY on the request's own connection and transaction.

    One COPY is one statement, so the foreign key to the parent is checked at its end
    and rows may come in any order.
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    try:
        await driver.copy_records_to_table("org_unit", records=records, columns=COPY_COLUMNS)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == _CODE_CONSTRAINT:
            raise CodeTaken() from None
        raise


async def stream_export(
    session: AsyncSession, scope: Scope, root: OrgUnit | None, batch: int = 2000
) -> AsyncIterator[Sequence[Row[Any]]]:
    """Visible live nodes with their parent's code, parents before children, in batches
    from a server-side cursor (one await per batch, not per row)."""
    parent = aliased(OrgUnit)
    conditions = [scope.clause(OrgUnit), OrgUnit.is_archived.is_(False)]
    if root is not None:
        conditions.append(Scope.of([(root.level, root.id)]).clause(OrgUnit))
    query = (
        select(
            OrgUnit.code,
            OrgUnit.name,
            OrgUnit.level,
            parent.code.label("parent_code"),
            OrgUnit.grid_kind,
            OrgUnit.address,
            OrgUnit.contact_name,
            OrgUnit.contact_phone,
            *(getattr(OrgUnit, c) for c in ANCESTOR_COLUMNS),
        )
        .outerjoin(parent, parent.id == OrgUnit.parent_id)
        .where(and_(*conditions))
        .order_by(_LEVEL_ORDER, OrgUnit.id)
        .execution_options(yield_per=batch)
    )
    result = await session.stream(query)
    async for rows in result.partitions(batch):
        yield rows
