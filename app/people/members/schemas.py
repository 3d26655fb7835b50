"""Request and response bodies of /members (党员).

Phone and ID numbers are masked unless the caller holds ``pii`` over the person (PIPL).
"""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.kit.schemas import StrictModel
from app.kit.types import Bool, BoolParam, Id, IdParam, Line
from app.people.schemas import (
    EmployerUnit,
    Gender,
    JoinDate,
    PatchBody,
    Placement,
    reject_null,
)


class MemberCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": 7,
                    "branch_id": 3,
                    "join_date": "2008-07-01",
                    "is_in_service": True,
                    "employer_unit": "区税务局",
                    "residence_community_id": 2,
                    "employer_community_id": 5,
                }
            ]
        }
    )

    person_id: Id
    branch_id: Id = Field(description="党支部: the grid-level unit holding 组织关系")
    join_date: JoinDate = Field(description="入党日期 · not in the future")
    is_in_service: Bool = Field(default=False, description="在职党员 · employed")
    employer_unit: EmployerUnit | None = None
    residence_community_id: Id | None = Field(
        default=None, description="双报到: community where the member lives"
    )
    employer_community_id: Id | None = Field(
        default=None, description="双报到: community the employer is linked to (挂钩联系)"
    )


class MemberUpdate(PatchBody):
    """Only the fields sent change; ``null`` clears the optional ones."""

    not_null = ("branch_id", "join_date", "is_in_service")

    _required_not_null = field_validator("branch_id", "join_date", "is_in_service")(reject_null)

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"is_in_service": False, "employer_community_id": None}]}
    )

    branch_id: Id | None = None
    join_date: JoinDate | None = None
    is_in_service: Bool | None = None
    employer_unit: EmployerUnit | None = None
    residence_community_id: Id | None = None
    employer_community_id: Id | None = None


PERSON_BRIEF_EXAMPLE: dict[str, JsonValue] = {
    "id": 7,
    "name": "张三",
    "mobile": "138****5678",
    "id_number": "**************123X",
    "pii_masked": True,
    "gender": "male",
    "home_unit_id": 42,
}


class PersonBrief(BaseModel):
    """The person behind a membership, under the same masking rule as /people."""

    model_config = ConfigDict(json_schema_extra={"examples": [PERSON_BRIEF_EXAMPLE]})

    id: int
    name: str
    mobile: str | None
    id_number: str | None
    pii_masked: bool
    gender: Gender | None
    home_unit_id: int


class MemberRead(Placement):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 11,
                    "person": PERSON_BRIEF_EXAMPLE,
                    "branch_id": 3,
                    "join_date": "2008-07-01",
                    "is_in_service": True,
                    "employer_unit": "区税务局",
                    "residence_community_id": 2,
                    "employer_community_id": 5,
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": None,
                    "household_id": None,
                    "is_archived": False,
                    "version": 1,
                    "created_at": "2026-11-21T09:30:00+08:00",
                    "updated_at": "2026-11-21T09:30:00+08:00",
                }
            ]
        }
    )

    id: int
    person: PersonBrief
    branch_id: int
    join_date: date
    is_in_service: bool
    employer_unit: str | None
    residence_community_id: int | None
    employer_community_id: int | None
    is_archived: bool
    version: int
    created_at: datetime
    updated_at: datetime


class MemberPage(Page[MemberRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class MemberListQuery(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"branch_id": 3, "is_in_service": True, "limit": 20}]}
    )

    branch_id: IdParam | None = None
    is_in_service: BoolParam | None = None
    residence_community_id: IdParam | None = None
    employer_community_id: IdParam | None = None
    q: Line | None = Field(default=None, max_length=50, description="Name contains")
    include_archived: BoolParam = False
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None
