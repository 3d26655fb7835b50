"""Request and response bodies of /partner-bodies, /property-contracts and /offices."""

from datetime import date, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.governance.bodies.rules import BodyKind, Office, SeatKind
from app.governance.schemas import Name, PersonRef, Placed, ShortText, Statement
from app.kit.pagination import Page
from app.kit.schemas import StrictModel
from app.kit.types import Bool, Date, Id, Line
from app.people.schemas import PatchBody, reject_null

CreditCode = Annotated[
    Line,
    Field(
        max_length=18,
        pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$",
        description="统一社会信用代码 (GB 32100, 18 characters)",
    ),
]
ContactPhone = Annotated[Line, Field(max_length=20, pattern=r"^\+?[0-9][0-9 \-]{4,19}$")]
ContactName = Annotated[Line, Field(min_length=1, max_length=50)]


class PartnerBodyCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "property_company",
                    "name": "粤华物业",
                    "org_unit_id": 3,
                    "credit_code": "91441900MA4UJ8K22X",
                    "contact_name": "耿广路",
                    "contact_phone": "13812345678",
                }
            ]
        }
    )

    kind: BodyKind
    name: Name
    org_unit_id: Id = Field(description="The node it is linked to, usually its compound")
    credit_code: CreditCode | None = None
    contact_name: ContactName | None = None
    contact_phone: ContactPhone | None = None
    description: Statement | None = None


class PartnerBodyUpdate(PatchBody):
    """Only the fields sent change; ``null`` clears an optional one."""

    not_null = ("name", "is_active")

    _required = field_validator("name", "is_active")(reject_null)

    model_config = ConfigDict(json_schema_extra={"examples": [{"contact_name": "耿广路"}]})

    name: Name | None = None
    credit_code: CreditCode | None = None
    contact_name: ContactName | None = None
    contact_phone: ContactPhone | None = None
    description: Statement | None = None
    is_active: Bool | None = Field(default=None, description="False once dissolved or gone")


class PartnerBodyRead(Placed):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 5,
                    "kind": "property_company",
                    "name": "粤华物业",
                    "org_unit_id": 3,
                    "credit_code": "91441900MA4UJ8K22X",
                    "contact_name": "耿广路",
                    "contact_phone": "138****5678",
                    "description": None,
                    "is_active": True,
                    "version": 1,
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": None,
                    "household_id": None,
                    "created_at": "2026-11-21T09:30:00+08:00",
                    "updated_at": "2026-11-21T09:30:00+08:00",
                }
            ]
        }
    )

    id: int
    kind: BodyKind
    name: str
    org_unit_id: int
    credit_code: str | None
    contact_name: str | None
    contact_phone: str | None = Field(description="Masked without `pii` over the body")
    description: str | None
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class PartnerBodyPage(Page[PartnerBodyRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class ContractCreate(StrictModel):
    """物业服务合同: the compound served and the contract period."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_unit_id": 3,
                    "starts_on": "2025-01-01",
                    "ends_on": "2027-12-31",
                    "note": "前期物业合同",
                }
            ]
        }
    )

    org_unit_id: Id = Field(description="The compound (grid-level node) served")
    starts_on: Date
    ends_on: Date
    note: ShortText | None = None

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.ends_on < self.starts_on:
            raise PydanticCustomError(
                "contract.period",
                "ends_on must not be before starts_on",
                {"reason_zh": "合同结束日期不能早于开始日期"},
            )
        return self


class ContractRead(Placed):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "body_id": 5,
                    "org_unit_id": 3,
                    "starts_on": "2025-01-01",
                    "ends_on": "2027-12-31",
                    "note": None,
                    "is_current": True,
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": None,
                    "household_id": None,
                    "created_at": "2026-11-21T09:30:00+08:00",
                }
            ]
        }
    )

    id: int
    body_id: int
    org_unit_id: int
    starts_on: date
    ends_on: date
    note: str | None
    is_current: bool = Field(description="Today (Asia/Shanghai) lies in the contract period")
    created_at: datetime


class ContractPage(Page[ContractRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


# ---------------------------------------------------------------- offices


class OfficeCreate(StrictModel):
    """Appoint a person to an office in exactly one seat: an org unit, a body or a station."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": 7,
                    "office": "station_master",
                    "station_id": 4,
                    "starts_on": "2026-01-01",
                    "ends_on": "2028-12-31",
                    "grant_role": "community_admin",
                }
            ]
        }
    )

    person_id: Id
    office: Office
    org_unit_id: Id | None = Field(default=None, description="Seat: a 党委/党支部 or building")
    body_id: Id | None = Field(default=None, description="Seat: a partner body")
    station_id: Id | None = Field(default=None, description="Seat: a station")
    starts_on: Date
    ends_on: Date | None = Field(default=None, description="Planned end of the term (任期)")
    grant_role: Annotated[Line, Field(max_length=32, pattern=r"^[a-z_]+$")] | None = Field(
        default=None,
        description="A role the office carries at the seat's node, granted now and revoked "
        "when the term ends (never to oneself)",
    )

    @model_validator(mode="after")
    def _one_seat(self) -> Self:
        seats = [s for s in (self.org_unit_id, self.body_id, self.station_id) if s is not None]
        if len(seats) != 1:
            raise PydanticCustomError(
                "office.one_seat",
                "Give exactly one of org_unit_id, body_id, station_id",
                {"reason_zh": "须且只能指定一个任职对象（组织、合作主体或驿站）"},
            )
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise PydanticCustomError(
                "office.term",
                "ends_on must not be before starts_on",
                {"reason_zh": "任期结束日期不能早于开始日期"},
            )
        return self


class OfficeEnd(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"ended_on": "2026-11-30", "reason": "换届"}]}
    )

    ended_on: Date | None = Field(default=None, description="Default: today (Asia/Shanghai)")
    reason: ShortText


class SeatRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "station", "id": 4, "name": "馨安公寓红旗驿站"}]}
    )

    kind: SeatKind
    id: int
    name: str
    body_kind: BodyKind | None = Field(default=None, description="For a body seat")


class OfficeRead(Placed):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 9,
                    "office": "station_master",
                    "person": {"id": 7, "name": "肖鑫磊", "mobile": "138****5678"},
                    "seat": {"kind": "station", "id": 4, "name": "馨安公寓红旗驿站"},
                    "org_unit_id": 3,
                    "starts_on": "2026-01-01",
                    "ends_on": "2028-12-31",
                    "ended_on": None,
                    "end_reason": None,
                    "is_current": True,
                    "grant_role": "community_admin",
                    "role_grant_id": 31,
                    "version": 1,
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": None,
                    "household_id": None,
                    "created_at": "2026-11-21T09:30:00+08:00",
                }
            ]
        }
    )

    id: int
    office: Office
    person: PersonRef
    seat: SeatRead
    org_unit_id: int
    starts_on: date
    ends_on: date | None
    ended_on: date | None
    end_reason: str | None
    is_current: bool
    grant_role: str | None
    role_grant_id: int | None = Field(description="Null when the holder already held the role")
    version: int
    created_at: datetime


class OfficePage(Page[OfficeRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class SeatHeld(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "term_id": 9,
                    "office": "secretary",
                    "seat": {"kind": "org_unit", "id": 3, "name": "馨安公寓党支部"},
                    "starts_on": "2026-01-01",
                }
            ]
        }
    )

    term_id: int
    office: Office
    seat: SeatRead
    starts_on: date


class SeatHolder(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person": {"id": 7, "name": "肖鑫磊", "mobile": "138****5678"},
                    "seats": [],
                    "is_cross_appointed": True,
                }
            ]
        }
    )

    person: PersonRef
    seats: list[SeatHeld]
    is_cross_appointed: bool = Field(
        description="双向进入、交叉任职: current offices in two or more seats"
    )


class CompoundSeats(BaseModel):
    """Who sits where in a compound: its branch and buildings, its bodies and stations,
    and the property companies serving it under a current contract."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"compound_id": 3, "compound_name": "馨安公寓", "holders": [], "cross_appointed": 0}
            ]
        }
    )

    compound_id: int
    compound_name: str
    holders: list[SeatHolder]
    cross_appointed: int = Field(description="People holding offices in two or more seats")
