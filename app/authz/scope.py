"""The one place that turns a caller's grants into what it may see.

A grant at a node reaches the node's subtree: every scoped row carries the ids of
its ancestors (``ScopedMixin``), so "inside the subtree of community 7" is
``community_id = 7`` — an index lookup, never a recursive query. Every scoped query
in every repository filters through :meth:`Scope.clause`; out-of-scope rows are
simply not found (404), as if they did not exist.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, false, or_, true

from app.db.base import ANCESTOR_COLUMNS

LEVEL_COLUMNS = {column.removesuffix("_id"): column for column in ANCESTOR_COLUMNS}
"""The ancestor column of each level (``grid`` → ``grid_id``)."""


class Placed(Protocol):
    """Anything that carries the ancestor ids of its place in the hierarchy: a scoped
    row (``ScopedMixin``), a :class:`Place`, or a read model with those columns."""

    @property
    def town_id(self) -> int: ...
    @property
    def community_id(self) -> int | None: ...
    @property
    def grid_id(self) -> int | None: ...
    @property
    def building_id(self) -> int | None: ...
    @property
    def household_id(self) -> int | None: ...


@dataclass(frozen=True)
class Place:
    """A place by its ancestor ids, for what has no scoped row of its own."""

    town_id: int
    community_id: int | None
    grid_id: int | None
    building_id: int | None
    household_id: int | None

    @classmethod
    def town(cls, town_id: int) -> "Place":
        """A town itself (a department's place: it belongs to its town)."""
        return cls(town_id, None, None, None, None)


@dataclass(frozen=True)
class Scope:
    """The subtrees a caller reaches with one permission."""

    unrestricted: bool
    nodes: frozenset[tuple[str, int]]
    """(level, node id) of each node whose subtree is visible."""

    @classmethod
    def everything(cls) -> "Scope":
        return cls(unrestricted=True, nodes=frozenset())

    @classmethod
    def of(cls, nodes: Iterable[tuple[str, int]]) -> "Scope":
        return cls(unrestricted=False, nodes=frozenset(nodes))

    @property
    def is_empty(self) -> bool:
        return not self.unrestricted and not self.nodes

    def clause(self, model: Any) -> ColumnElement[bool]:
        """SQL predicate: the row of ``model`` (a ScopedMixin table) is in scope."""
        if self.unrestricted:
            return true()
        by_level: dict[str, list[int]] = defaultdict(list)
        for level, node_id in self.nodes:
            by_level[level].append(node_id)
        if not by_level:
            return false()
        return or_(
            *(
                getattr(model, LEVEL_COLUMNS[level]).in_(sorted(ids))
                for level, ids in sorted(by_level.items())
            )
        )

    def covers(self, row: Placed) -> bool:
        """The same test on a row already loaded (used after a write)."""
        if self.unrestricted:
            return True
        return any(getattr(row, LEVEL_COLUMNS[level]) == node_id for level, node_id in self.nodes)
