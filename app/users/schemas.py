"""Accounts (用户账号) and their role grants (角色授权) on the wire."""

import enum
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from app.hierarchy.models import OrgLevel
from app.kit.schemas import StrictModel
from app.kit.types import Bool, Id, Line

USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{3,64}$"

Username = Annotated[Line, Field(pattern=USERNAME_PATTERN)]
Password = Annotated[Line, StringConstraints(strip_whitespace=False)]
"""Kept exactly as typed: sign-in compares it unstripped, so setting it must too."""


class RoleCode(enum.StrEnum):
    """A role granted at a node; what it may do is data (``role_permission``)."""

    town_admin = "town_admin"
    """镇(街道)管理员 · town administrator."""
    community_admin = "community_admin"
    """社区管理员 · community administrator."""
    dispatcher = "dispatcher"
    """派单员 · dispatcher."""
    grid_worker = "grid_worker"
    """网格员 · grid worker."""
    department_staff = "department_staff"
    """职能部门人员 · functional department staff."""
    member = "member"
    """党员 · party member."""
    resident = "resident"
    """居民 · resident."""
    resident_pending = "resident_pending"
    """待核实居民 · self-registered resident awaiting the grid worker: files and follows
    their own orders only."""
    auditor = "auditor"
    """审计员 · auditor (read-only, sees the audit log)."""


class GrantCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"role": "dispatcher", "org_unit_id": 12}]}
    )
    role: RoleCode
    org_unit_id: Id = Field(description="The node the role is held at; reaches its subtree")


_GRANT_EXAMPLE: JsonDict = {
    "id": 31,
    "role": "community_admin",
    "org_unit_id": 12,
    "org_unit_name": "红星社区",
    "org_unit_level": "community",
    "created_at": "2026-11-21T17:30:00+08:00",
}


class GrantRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_GRANT_EXAMPLE]}
    )
    id: int
    role: RoleCode
    org_unit_id: int
    org_unit_name: str = Field(max_length=100)
    org_unit_level: OrgLevel
    created_at: datetime


class UserCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "hongxing_admin",
                    "display_name": "王芳",
                    "password": "Hongxing#2026",
                    "grants": [{"role": "community_admin", "org_unit_id": 12}],
                }
            ]
        }
    )
    username: Username = Field(
        max_length=64,
        description="Login name: 3-64 of letters, digits and _ . @ -",
    )
    display_name: Line = Field(min_length=1, max_length=64)
    password: Password = Field(
        max_length=128,
        description="At least 8 characters from three of: upper, lower, digits, symbols",
    )
    person_id: Id | None = Field(default=None, description="Link to a person (人员)")
    grants: list[GrantCreate] = Field(
        default_factory=list,
        max_length=20,
        description="Initial role grants; a non-superuser gives at least one, or a person_id",
    )


class UserUpdate(StrictModel):
    """Only the fields sent change; ``person_id: null`` unlinks the person."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"display_name": "王芳（红星社区）"},
                {"is_active": False},
                {"password": "Reset#Pass2026"},
                {"person_id": 88},
            ]
        }
    )
    display_name: Line | None = Field(default=None, min_length=1, max_length=64)
    is_active: Bool | None = None
    password: Password | None = Field(
        default=None, max_length=128, description="Reset by an administrator; also unlocks"
    )
    person_id: Id | None = Field(default=None)


class UserSummary(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "username": "hongxing_admin",
                    "display_name": "王芳",
                    "is_active": True,
                    "is_superuser": False,
                    "person_id": None,
                    "last_login_at": "2026-11-21T09:12:00+08:00",
                    "created_at": "2026-11-20T17:30:00+08:00",
                }
            ]
        },
    )
    id: int
    username: str = Field(max_length=64)
    display_name: str = Field(max_length=64)
    is_active: bool
    is_superuser: bool
    person_id: int | None
    last_login_at: datetime | None
    created_at: datetime


class UserRead(UserSummary):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "username": "hongxing_admin",
                    "display_name": "王芳",
                    "is_active": True,
                    "is_superuser": False,
                    "person_id": None,
                    "last_login_at": "2026-11-21T09:12:00+08:00",
                    "created_at": "2026-11-20T17:30:00+08:00",
                    "updated_at": "2026-11-21T09:12:00+08:00",
                    "version": 3,
                    "grants": [_GRANT_EXAMPLE],
                }
            ]
        },
    )
    updated_at: datetime
    version: int = Field(description="Also the ETag; send it back in If-Match")
    grants: list[GrantRead] = Field(
        max_length=1000, description="The grants at nodes within the caller's scope"
    )


_PERSON_EXAMPLE: JsonDict = {"id": 88, "name": "李建国", "mobile": "138****5678"}
_ME_GRANT_EXAMPLE: JsonDict = {
    "role": "community_admin",
    "org_unit_id": 12,
    "org_unit_name": "红星社区",
    "org_unit_level": "community",
}


class MePerson(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PERSON_EXAMPLE]})
    id: int
    name: str = Field(max_length=50)
    mobile: str | None = Field(max_length=11, description="Always masked (PIPL)")


class MeGrant(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ME_GRANT_EXAMPLE]})
    role: str = Field(max_length=32, description="A role code, or `client` for integration clients")
    org_unit_id: int
    org_unit_name: str = Field(max_length=100)
    org_unit_level: OrgLevel


class CallerKind(enum.StrEnum):
    """Who is calling."""

    user = "user"
    """用户账号 · a user account."""
    client = "client"
    """接口客户端 · an integration client (client_credentials)."""


class PasswordChange(StrictModel):
    """The caller's own password, changed with the current one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"current_password": "Hongqi@2026", "new_password": "Lvshui#Qingshan8"}]
        }
    )

    current_password: Password = Field(max_length=128)
    new_password: Password = Field(
        max_length=128,
        description="8–128 characters from three classes; not a common password; "
        "not containing the username.",
    )


class Me(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "user",
                    "id": 7,
                    "username": "hongxing_admin",
                    "display_name": "王芳",
                    "is_superuser": False,
                    "person": _PERSON_EXAMPLE,
                    "grants": [_ME_GRANT_EXAMPLE],
                    "permissions": ["audit.read", "org.read", "users.read"],
                }
            ]
        }
    )
    kind: CallerKind
    id: int | None = Field(description="The account id; null for integration clients")
    username: str = Field(max_length=64, description="Login name, or the client_id of a client")
    display_name: str = Field(max_length=100)
    is_superuser: bool
    person: MePerson | None
    grants: list[MeGrant] = Field(max_length=1000)
    permissions: list[str] = Field(max_length=100, description="Effective permissions, sorted")
