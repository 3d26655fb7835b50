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


class Visibility(Protocol):
    """A :class:`Scope` or a :class:`Reach`: anything that turns into a row predicate."""

    def clause(self, model: Any) -> ColumnElement[bool]: ...


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


@dataclass(frozen=True)
class Reach:
    """Where a participant (居民, 党员) takes part: the whole community of every node
    they are granted at — a resident granted at their household sees their community's
    activities, teams and 微心愿 board, not only their own household's — and the town
    above it (a town-wide activity). Staff keep using :class:`Scope` (their subtree).

    Rows are matched on their ancestor ids like any scope, and on ``org_unit_id`` (the
    node a row is placed at) for the towns above.
    """

    around: Scope
    """The grants lifted to their community (a town grant stays the town)."""
    towns: frozenset[int]

    @classmethod
    def lifted(cls, scope: Scope, chains: dict[int, tuple[int | None, ...]]) -> "Reach":
        """``chains``: the five ancestor ids (town … household) of every granted node."""
        if scope.unrestricted:
            return cls(around=scope, towns=frozenset())
        nodes: set[tuple[str, int]] = set()
        towns: set[int] = set()
        for level, node_id in scope.nodes:
            chain = chains.get(node_id)
            if chain is None:
                continue
            town_id, community_id = chain[0], chain[1]
            if level == "town" or community_id is None:
                nodes.add((level, node_id))
            else:
                nodes.add(("community", community_id))
            if town_id is not None and level != "town":
                towns.add(town_id)
        return cls(around=Scope.of(nodes), towns=frozenset(towns))

    @property
    def is_empty(self) -> bool:
        return self.around.is_empty

    def clause(self, model: Any) -> ColumnElement[bool]:
        if not self.towns:
            return self.around.clause(model)
        return or_(self.around.clause(model), model.org_unit_id.in_(sorted(self.towns)))

    def covers(self, row: Any) -> bool:
        return self.around.covers(row) or getattr(row, "org_unit_id", None) in self.towns
