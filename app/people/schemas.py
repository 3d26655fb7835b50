"""Request and response bodies of /people (人员).

Phone and ID numbers in every response are masked (``138****5678``,
``**************1234``) unless the caller holds ``pii`` over the person (PIPL).
"""

import enum
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from app.kit.calendar import BUSINESS_TZ
from app.kit.idcard import InvalidIdNumber, normalize_id_number
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.kit.phone import InvalidMobile, normalize_mobile
from app.kit.schemas import StrictModel
from app.kit.types import BoolParam, Date, Id, IdParam, Line

_ID_REASONS = {
    "format": ("格式不正确，应为 18 位", "wrong format, 18 characters expected"),
    "checksum": ("校验位不正确", "the check character does not match (GB 11643)"),
    "birth_date": ("出生日期无效", "the birth date is not a valid past date"),
}


def business_today() -> date:
    return datetime.now(BUSINESS_TZ).date()


def _id_number(value: str) -> str:
    try:
        return normalize_id_number(value, today=business_today())
    except InvalidIdNumber as exc:
        zh, en = _ID_REASONS[exc.reason]
        # The handler shows reason_zh in Chinese and the rendered template in English;
        # the number itself never appears in the error (it may be logged).
        raise PydanticCustomError(
            "person.invalid_id_number",
            "Invalid ID number ({reason}): {detail}",
            {
                "reason": exc.reason,
                "detail": en,
                "reason_zh": f"身份证号无效（{exc.reason}）：{zh}",
            },
        ) from None


def _mobile(value: str) -> str:
    try:
        return normalize_mobile(value)
    except InvalidMobile:
        raise PydanticCustomError(
            "person.invalid_mobile",
            "Invalid mainland mobile number",
            {"reason_zh": "手机号格式不正确，应为 11 位大陆手机号"},
        ) from None


def _not_future(value: date) -> date:
    if value > business_today():
        raise PydanticCustomError(
            "member.join_date_in_future",
            "The join date must not be in the future",
            {"reason_zh": "入党日期不能晚于今天"},
        )
    return value


IdNumber = Annotated[
    Line,
    Field(max_length=18, description="身份证号 (GB 11643, 18 characters); stored encrypted"),
    AfterValidator(_id_number),
]
Mobile = Annotated[
    Line,
    Field(max_length=20, description="Mainland mobile; +86, spaces and hyphens are dropped"),
    AfterValidator(_mobile),
]
JoinDate = Annotated[Date, AfterValidator(_not_future)]
Name = Annotated[Line, Field(min_length=1, max_length=50, description="姓名 · full name")]
AddressPart = Annotated[Line, Field(max_length=20)]
EmployerUnit = Annotated[Line, Field(max_length=100, description="工作单位 · employer")]


class Gender(enum.StrEnum):
    """性别 · gender, derived from the ID number's sequence digit (GB 11643)."""

    male = "male"
    """男 · male."""
    female = "female"
    """女 · female."""


class Placement(BaseModel):
    """Ancestor ids of a row's place in the hierarchy (its own place included)."""

    town_id: int
    community_id: int | None
    grid_id: int | None
    building_id: int | None
    household_id: int | None


# ---------------------------------------------------------------- people


class PersonCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "张三",
                    "home_unit_id": 42,
                    "mobile": "13812345678",
                    "id_number": "110101199003071233",
                    "address_building": "1号楼",
                    "address_unit": "2单元",
                    "address_room": "301",
                }
            ]
        }
    )

    name: Name
    home_unit_id: Id = Field(description="Home node: a building (楼栋) or household (中心户)")
    mobile: Mobile | None = None
    id_number: IdNumber | None = None
    address_building: AddressPart | None = Field(default=None, description="楼栋 · building")
    address_unit: AddressPart | None = Field(default=None, description="单元 · entrance")
    address_room: AddressPart | None = Field(default=None, description="房号 · room")


def reject_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError(
            "request.null_not_allowed",
            "This field cannot be cleared",
            {"reason_zh": "该字段不能置空"},
        )
    return value


class PatchBody(StrictModel):
    """A PATCH body: only the fields sent change; ``null`` clears an optional field."""

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class PersonUpdate(PatchBody):
    """Only the fields sent change; ``null`` clears mobile, ID number or an address part."""

    not_null = ("name", "home_unit_id")

    _name_not_null = field_validator("name", "home_unit_id")(reject_null)

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"mobile": "13900001111", "address_room": "502"}]}
    )

    name: Name | None = None
    home_unit_id: Id | None = Field(
        default=None, description="Moving home rewrites the person's ancestor ids"
    )
    mobile: Mobile | None = None
    id_number: IdNumber | None = None
    address_building: AddressPart | None = None
    address_unit: AddressPart | None = None
    address_room: AddressPart | None = None


class PersonRead(Placement):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "name": "张三",
                    "mobile": "138****5678",
                    "id_number": "**************123X",
                    "pii_masked": True,
                    "gender": "male",
                    "birth_date": None,
                    "home_unit_id": 42,
                    "address_building": "1号楼",
                    "address_unit": "2单元",
                    "address_room": "301",
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": 4,
                    "household_id": 42,
                    "is_archived": False,
                    "version": 1,
                    "created_at": "2026-11-21T09:30:00+08:00",
                    "updated_at": "2026-11-21T09:30:00+08:00",
                }
            ]
        }
    )

    id: int
    name: str
    mobile: str | None = Field(description="Masked (138****5678) without `pii` over the person")
    id_number: str | None = Field(
        description="In full with `pii` over the person, else only the last four"
    )
    pii_masked: bool = Field(description="True when mobile and ID number are masked")
    gender: Gender | None
    birth_date: date | None = Field(
        description="From the ID number; null without `pii` (it is part of the number)"
    )
    home_unit_id: int
    address_building: str | None
    address_unit: str | None
    address_room: str | None
    is_archived: bool
    version: int
    created_at: datetime
    updated_at: datetime


class PersonPage(Page[PersonRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class PersonQuery(BaseModel):
    """Filters of the people list and export."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"q": "张", "home_unit_id": 42, "limit": 20}]}
    )

    q: Line | None = Field(default=None, max_length=50, description="Name contains")
    mobile: Mobile | None = Field(default=None, description="Exact mobile (normalised)")
    id_number: IdNumber | None = Field(
        default=None, description="Exact ID number, matched through its keyed hash"
    )
    home_unit_id: IdParam | None = None
    include_archived: BoolParam = False


class PersonListQuery(PersonQuery):
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


class ExportFormat(enum.StrEnum):
    """导出格式 · export file format."""

    csv = "csv"
    """CSV (UTF-8 with BOM, opens in Excel)."""
    xlsx = "xlsx"
    """Excel workbook."""


class PersonExportQuery(PersonQuery):
    format: ExportFormat = ExportFormat.csv


# ---------------------------------------------------------------- members
