"""Declarative base with an explicit constraint naming convention, and shared mixins.

Named constraints make migrations reproducible: autogenerate and hand-written
revisions agree on names, and a downgrade can drop what an upgrade created.
"""

from datetime import datetime
from typing import ClassVar, Final

from sqlalchemy import BigInteger, DateTime, Identity, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True, sort_order=-10)


ANCESTOR_COLUMNS: Final = ("town_id", "community_id", "grid_id", "building_id", "household_id")
"""The columns of ``ScopedMixin``, top down: ``<level>_id`` for each level of the hierarchy.

The one spelling of these names; the scope, the hierarchy rules and the scoped-table
registry (``app.db.scoped``) read them from here.
"""


class ScopedMixin:
    """The ids of a row's place in the hierarchy, written when the row is created.

    A grant at a node reaches the rows whose ``<level>_id`` equals the node, so a
    scoped list is a B-tree lookup rather than a recursive query. Levels below the
    row's own place are null. Moving a subtree rewrites these columns on every table
    that uses this mixin (``app.db.scoped``).
    """

    blocks_archive: ClassVar[bool] = False
    """Live rows (``is_archived`` false) of this table keep the node they sit under from
    being archived: a node with people placed under it stays. The table must have an
    ``is_archived`` column."""

    terminal_statuses: ClassVar[frozenset[str] | None] = None
    """Set on tables of work with a ``status`` column: rows in any other status are open
    and keep the node they sit under from being archived (an org unit with open orders
    stays)."""

    town_id: Mapped[int] = mapped_column(BigInteger, index=True, sort_order=90)
    community_id: Mapped[int | None] = mapped_column(BigInteger, index=True, sort_order=91)
    grid_id: Mapped[int | None] = mapped_column(BigInteger, index=True, sort_order=92)
    building_id: Mapped[int | None] = mapped_column(BigInteger, index=True, sort_order=93)
    household_id: Mapped[int | None] = mapped_column(BigInteger, index=True, sort_order=94)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), sort_order=100
    )
    """When the row was created (database clock)."""

    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), sort_order=101
    )
    """When the row last changed (database clock)."""
