"""The scoped tables, and the structural statements that run over all of them.

The registry is read from the mappers, never written by hand: every mapped class that
uses ``ScopedMixin`` is in it, so a scoped table added later moves with its subtree
without anyone remembering to (STYLE.md principle 10). It holds every table once every
model is imported (``app.db.models``); whoever acts on it imports that module first.
This module itself imports no domain.

These statements match an ancestor column directly: they are structural (the caller
already holds the node), not visibility filters, and tests/test_architecture.py lists
them as such.
"""

import functools
import operator
from collections.abc import Mapping

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import ANCESTOR_COLUMNS, Base, ScopedMixin


def scoped_classes() -> list[type[ScopedMixin]]:
    """Every mapped class that uses ``ScopedMixin``, ordered by table name."""
    classes = {
        mapper.class_ for mapper in Base.registry.mappers if issubclass(mapper.class_, ScopedMixin)
    }
    return sorted(classes, key=lambda cls: _table(cls).name)


def scoped_tables() -> list[Table]:
    """The tables that carry ancestor ids, ordered by name: concurrent moves then lock
    them in the same order."""
    return [_table(cls) for cls in scoped_classes()]


def _table(cls: type[ScopedMixin]) -> Table:
    table = getattr(cls, "__table__", None)
    assert isinstance(table, Table), f"{cls.__name__} is not mapped to one table"
    return table


def _check_column(column: str) -> int:
    if column not in ANCESTOR_COLUMNS:
        raise ValueError(f"{column!r} is not an ancestor column")
    return ANCESTOR_COLUMNS.index(column)


async def rewrite_ancestors(
    session: AsyncSession, column: str, node_id: int, above: Mapping[str, int | None]
) -> dict[str, int]:
    """After the node whose own column is ``column`` moved: every row under it, in every
    scoped table, takes the node's new ancestors.

    ``above`` gives every column above ``column`` (the new chain); the node's own
    column and those below it keep their values. One UPDATE per table, in the caller's
    transaction, whatever the subtree's size. A table with a ``version`` bumps it: its
    representation shows the ancestor ids, so an ETag taken before the move must no
    longer match (RFC 9110 §13.1.1). ``updated_at`` moves where a table has one.
    Returns the number of rows rewritten per table.
    """
    index = _check_column(column)
    if set(above) != set(ANCESTOR_COLUMNS[:index]):
        raise ValueError(f"give exactly the columns above {column!r}, not {sorted(above)}")
    if not above:
        return {}
    rewritten: dict[str, int] = {}
    for table in scoped_tables():
        values: dict[str, object] = dict(above)
        if "version" in table.c:
            values["version"] = table.c.version + 1
        result = await session.execute(
            update(table).where(table.c[column] == node_id).values(values)
        )
        rewritten[table.name] = int(result.rowcount)  # type: ignore[attr-defined]
    return rewritten


async def count_open_under(session: AsyncSession, column: str, node_id: int) -> int:
    """Open rows (a status outside the table's ``terminal_statuses``) under the node,
    summed over the tables that declare them: open orders keep a node from archiving."""
    _check_column(column)
    counts = [
        select(func.count())
        .select_from(table)
        .where(table.c[column] == node_id, table.c.status.not_in(sorted(terminal)))
        .scalar_subquery()
        for cls in scoped_classes()
        if (terminal := cls.terminal_statuses) is not None
        for table in (_table(cls),)
    ]
    if not counts:
        return 0
    return int((await session.execute(select(functools.reduce(operator.add, counts)))).scalar_one())


async def count_live_under(session: AsyncSession, column: str, node_id: int) -> int:
    """Live rows under the node whose own column is ``column``, summed over the tables
    whose class sets ``blocks_archive``: what keeps the node from being archived."""
    _check_column(column)
    counts = [
        select(func.count())
        .select_from(table)
        .where(table.c[column] == node_id, table.c.is_archived.is_(False))
        .scalar_subquery()
        for table in (_table(cls) for cls in scoped_classes() if cls.blocks_archive)
    ]
    if not counts:
        return 0
    return int((await session.execute(select(functools.reduce(operator.add, counts)))).scalar_one())
