"""The ancestor columns of scoped tables (app/db/base.py)."""

from sqlalchemy.orm import MappedColumn

from app.authz.scope import LEVEL_COLUMNS
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
