"""The scoped-table registry and its structural statements (app/db/scoped.py).

That a move rewrites every registry table is proven end to end in
tests/hierarchy/test_move_scoped.py; these are the rules around it.
"""

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import MappedColumn

from app.authz.scope import LEVEL_COLUMNS
from app.db import scoped
from app.db.base import ANCESTOR_COLUMNS, ScopedMixin
from app.hierarchy.models import LEVELS


class TestAncestorColumns:
    def test_are_the_columns_of_the_mixin_top_down(self) -> None:
        declared = [
            name for name, value in vars(ScopedMixin).items() if isinstance(value, MappedColumn)
        ]
        assert declared == list(ANCESTOR_COLUMNS)

    def test_name_each_level_in_order(self) -> None:
        assert tuple(f"{level}_id" for level in LEVELS) == ANCESTOR_COLUMNS
        assert {level.value: f"{level}_id" for level in LEVELS} == LEVEL_COLUMNS


class TestRegistry:
    def test_tables_that_block_archive_have_the_flag_it_counts(self) -> None:
        blocking = [cls for cls in scoped.scoped_classes() if cls.blocks_archive]
        assert blocking, "people keep a node from being archived"
        for cls in blocking:
            assert "is_archived" in inspect(cls).local_table.c, cls.__name__

    def test_in_a_fixed_order(self) -> None:
        names = [table.name for table in scoped.scoped_tables()]
        assert names == sorted(names)


class TestRewriteAncestors:
    @pytest.mark.parametrize(
        ("column", "above"),
        [
            ("grid_id", {"grid_id": 1}),
            ("grid_id", {"town_id": 1}),
            ("community_id", {"community_id": 1}),
            ("building_id", {"household_id": 1}),
            ("town_id", {"town_id": 1}),
            ("province_id", {"town_id": 1}),
        ],
    )
    async def test_takes_exactly_the_columns_above_the_node(
        self, db: AsyncSession, column: str, above: dict[str, int | None]
    ) -> None:
        with pytest.raises(ValueError):
            await scoped.rewrite_ancestors(db, column, 1, above)

    async def test_a_town_has_nothing_above_it(self, db: AsyncSession) -> None:
        assert await scoped.rewrite_ancestors(db, "town_id", 1, {}) == {}
