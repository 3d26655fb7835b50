"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from app.audit.models import AuditEvent
from app.auth.models import ApiClient, RefreshToken
from app.authz.models import Role, RoleGrant, RolePermission
from app.db.base import Base
from app.hierarchy.models import OrgUnit
from app.people.models import PartyMember, Person
from app.users.models import UserAccount, UserIdentity

__all__ = [
    "ApiClient",
    "AuditEvent",
    "Base",
    "OrgUnit",
    "PartyMember",
    "Person",
    "RefreshToken",
    "Role",
    "RoleGrant",
    "RolePermission",
    "UserAccount",
    "UserIdentity",
]
