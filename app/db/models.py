"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from app.db.base import Base
from app.users.models import UserAccount

__all__ = ["Base", "UserAccount"]
