"""The permission catalogue. Which role carries which permission is data
(``role_permission``, seeded by the migrations); these names are the contract."""

from typing import Final

ORG_READ: Final = "org.read"
ORG_WRITE: Final = "org.write"
ORG_IMPORT: Final = "org.import"
PEOPLE_READ: Final = "people.read"
PEOPLE_WRITE: Final = "people.write"
PII: Final = "pii"
"""Sees phone and ID numbers unmasked (PIPL); everyone else gets 138****5678."""
MEMBERS_READ: Final = "members.read"
MEMBERS_WRITE: Final = "members.write"
USERS_READ: Final = "users.read"
USERS_WRITE: Final = "users.write"
AUDIT_READ: Final = "audit.read"

ALL: Final = frozenset(
    {
        ORG_READ,
        ORG_WRITE,
        ORG_IMPORT,
        PEOPLE_READ,
        PEOPLE_WRITE,
        PII,
        MEMBERS_READ,
        MEMBERS_WRITE,
        USERS_READ,
        USERS_WRITE,
        AUDIT_READ,
    }
)

ROLES: Final = (
    "town_admin",
    "community_admin",
    "dispatcher",
    "grid_worker",
    "department_staff",
    "member",
    "resident",
    "auditor",
)
