"""Request and response bodies of ``/api/v1/org-units``."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.hierarchy.models import GridKind, OrgLevel
from app.hierarchy.rules import CODE_PATTERN, normalize_contact_phone
from app.kit.pagination import Page
from app.kit.schemas import StrictModel
from app.kit.types import Id, Line


def _phone(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        return normalize_contact_phone(value)
    except ValueError:
        raise ValueError("联系电话应为手机号或固定电话 / not a mobile or landline number") from None


Code = Annotated[
    Line,
    Field(
        min_length=1,
        max_length=64,
        pattern=CODE_PATTERN,
        description="Unique code (letters, digits, `_`, `.`, `-`); government systems key on it",
    ),
]
Name = Annotated[Line, Field(min_length=1, max_length=100, description="名称 · display name")]
Address = Annotated[Line, Field(max_length=200, description="地址 · address")]
ContactName = Annotated[Line, Field(max_length=50, description="联系人 · contact person")]
ContactPhone = Annotated[
    Line,
    Field(
        max_length=20, description="联系电话 · mobile or landline, e.g. 13812345678, 0769-22123456"
    ),
    AfterValidator(_phone),
]

_UNIT_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "code": "SL-HX-01",
    "name": "红星一网格",
    "level": "grid",
    "parent_id": 3,
    "grid_kind": "compound",
    "address": "石龙镇红星路 1 号",
    "contact_name": "李四",
    "contact_phone": "138****5678",
    "is_archived": False,
    "version": 3,
    "town_id": 1,
    "community_id": 3,
    "grid_id": 12,
    "building_id": None,
    "household_id": None,
    "created_at": "2026-11-21T09:30:00+08:00",
    "updated_at": "2026-11-21T10:00:00+08:00",
}


class OrgUnitCreate(StrictModel):
    """A new node; its parent must be exactly one level up (towns have none)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "红星一网格",
                    "code": "SL-HX-01",
                    "level": "grid",
                    "parent_id": 3,
                    "grid_kind": "compound",
                    "address": "石龙镇红星路 1 号",
                    "contact_name": "李四",
                    "contact_phone": "13812345678",
                }
            ]
        }
    )

    name: Name
    code: Code
    level: OrgLevel
    parent_id: Id | None = Field(default=None, description="Required except for towns")
    grid_kind: GridKind | None = Field(
        default=None, description="Grids only; defaults to `compound` (小区网格)"
    )
    address: Address | None = None
    contact_name: ContactName | None = None
    contact_phone: ContactPhone | None = None

    @model_validator(mode="after")
    def _shape(self) -> "OrgUnitCreate":
        if self.level == OrgLevel.town and self.parent_id is not None:
            raise ValueError("镇(街道)是根节点，不能有上级 / a town has no parent")
        if self.level != OrgLevel.town and self.parent_id is None:
            raise ValueError("须指定上级组织 parent_id / parent_id is required below towns")
        if self.grid_kind is not None and self.level != OrgLevel.grid:
            raise ValueError("只有网格可以设置网格类型 / only grids carry a grid_kind")
        return self


class OrgUnitUpdate(StrictModel):
    """Fields to change; omitted fields stay, ``null`` clears an optional field.

    The code may change too (it stays unique); government systems keyed on the old
    code must be told, which is why every change is in the audit log.
    """

    not_null = ("name", "code", "grid_kind")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "红星第一网格", "contact_phone": "0769-22123456"}]}
    )

    name: Name | None = None
    code: Code | None = None
    grid_kind: GridKind | None = None
    address: Address | None = None
    contact_name: ContactName | None = None
    contact_phone: ContactPhone | None = None

    @model_validator(mode="after")
    def _no_null_required(self) -> "OrgUnitUpdate":
        for field in ("name", "code", "grid_kind"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} 不能为空 / {field} cannot be null")
        return self


class OrgUnitMove(StrictModel):
    """Move a node (and its whole subtree) under another parent one level up."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"new_parent_id": 7}]})

    new_parent_id: Id = Field(description="The new parent, exactly one level up")


class OrgUnitRead(BaseModel):
    """A node. ``town_id`` … ``household_id`` are its ancestors, itself included."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_UNIT_EXAMPLE]})

    id: int
    code: str
    name: str
    level: OrgLevel
    parent_id: int | None
    grid_kind: GridKind | None
    address: str | None
    contact_name: str | None
    contact_phone: str | None = Field(
        description="Masked (138****5678) for callers without `pii` over the unit"
    )
    is_archived: bool
    version: int
    town_id: int
    community_id: int | None
    grid_id: int | None
    building_id: int | None
    household_id: int | None
    created_at: datetime
    updated_at: datetime


class OrgUnitPage(Page[OrgUnitRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_UNIT_EXAMPLE], "next_cursor": "WzEyXQ"}]}
    )


class OrgUnitRef(BaseModel):
    """A node named briefly, as in a breadcrumb."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{"id": 1, "code": "SL", "name": "石龙镇", "level": "town"}]
        },
    )

    id: int
    code: str
    name: str
    level: OrgLevel


class LevelCounts(BaseModel):
    """Number of live nodes per level."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"town": 0, "community": 0, "grid": 10, "building": 250, "household": 4800}
            ]
        }
    )

    town: int = 0
    community: int = 0
    grid: int = 0
    building: int = 0
    household: int = 0


class SubtreeNode(BaseModel):
    """A node of a subtree, with the number of its live descendants per level."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "code": "SL-HX",
                    "name": "红星社区",
                    "level": "community",
                    "grid_kind": None,
                    "descendants": {"grid": 1, "building": 2, "household": 5},
                    "children": [
                        {
                            "id": 12,
                            "code": "SL-HX-01",
                            "name": "红星一网格",
                            "level": "grid",
                            "grid_kind": "compound",
                            "descendants": {"building": 2, "household": 5},
                            "children": [],
                        }
                    ],
                }
            ]
        }
    )

    id: int
    code: str
    name: str
    level: OrgLevel
    grid_kind: GridKind | None
    descendants: LevelCounts
    children: list["SubtreeNode"] = Field(
        default_factory=list, description="Empty below the requested depth"
    )


class ImportResult(BaseModel):
    """What an import created."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "created": 5221,
                    "by_level": {
                        "town": 1,
                        "community": 20,
                        "grid": 200,
                        "building": 5000,
                        "household": 0,
                    },
                }
            ]
        }
    )

    created: int
    by_level: LevelCounts


class ImportRowError(BaseModel):
    """One problem in one row of an import file."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "row": 7,
                    "column": "parent_code",
                    "problem_code": "parent_not_found",
                    "message": "上级编码 SL-XX 不存在或无权使用",
                }
            ]
        }
    )

    row: int = Field(description="Row number in the file; the header is row 1")
    column: str | None = Field(description="Column key (code, name, level, parent_code …)")
    problem_code: str = Field(description="Stable machine code, e.g. `duplicate_code`")
    message: str = Field(description="Human-readable, in the negotiated language")


class ImportProblem(BaseModel):
    """RFC 9457 problem of a refused import, with its row-by-row report."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:redgrid:problem:org_unit.import_invalid",
                    "title": "导入文件有误，未导入任何数据",
                    "status": 422,
                    "detail": "共 1 处错误",
                    "code": "org_unit.import_invalid",
                    "error_count": 1,
                    "errors": [
                        {
                            "row": 7,
                            "column": "parent_code",
                            "problem_code": "parent_not_found",
                            "message": "上级编码 SL-XX 不存在或无权使用",
                        }
                    ],
                }
            ]
        }
    )

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    request_id: str | None = None
    error_count: int = Field(description="All problems found; `errors` lists at most 1000")
    errors: list[ImportRowError]
