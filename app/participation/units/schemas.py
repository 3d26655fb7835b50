"""Bodies of /work-units (单位), /work-unit-pairings (结对) and /work-unit-commitments."""

import enum
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from app.hierarchy.rules import normalize_contact_phone
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.kit.schemas import StrictModel
from app.kit.types import Bool, BoolParam, Date, Id, IdParam, Int, Line, Text
from app.people.schemas import Placement


class WorkUnitKind(enum.StrEnum):
    """Kind of unit (单位类型)."""

    government = "government"
    """机关 · a government organ."""
    institution = "institution"
    """事业单位 · a public institution (school, hospital …)."""
    enterprise = "enterprise"
    """企业 · an enterprise (国企、民企)."""
    social = "social"
    """社会组织 · a social organisation."""
    other = "other"
    """其他 · anything else."""


class CommitmentKind(enum.StrEnum):
    """What a pairing commits to each year (承诺事项类型)."""

    livelihood = "livelihood"
    """民生实事 · a practical matter for residents."""
    party_project = "party_project"
    """小区党建项目 · a party-building project in the compound."""


class CommitmentStatus(enum.StrEnum):
    """Progress of a commitment (办理进度)."""

    planned = "planned"
    """已承诺 · committed, not started."""
    in_progress = "in_progress"
    """推进中 · under way."""
    done = "done"
    """已完成 · done (with the day and the result)."""
    dropped = "dropped"
    """已撤销 · dropped."""


def _phone(value: str) -> str:
    try:
        return normalize_contact_phone(value)
    except ValueError:
        raise PydanticCustomError(
            "work_unit.invalid_phone",
            "Not a mobile or landline number",
            {"reason_zh": "联系电话格式不正确"},
        ) from None


Name = Annotated[Line, Field(min_length=1, max_length=100, description="名称 · name")]
ContactName = Annotated[Line, Field(min_length=1, max_length=50)]
ContactPhone = Annotated[
    Line,
    Field(min_length=3, max_length=20, description="Mobile or landline"),
    AfterValidator(_phone),
]
Title = Annotated[Line, Field(min_length=1, max_length=100)]
Description = Annotated[Text, Field(min_length=1, max_length=1000)]
Result = Annotated[Text, Field(min_length=1, max_length=500)]
Year = Annotated[Int, Field(ge=2000, le=2100, description="The commitment's year")]


def _refuse_nulls(model: BaseModel, fields: tuple[str, ...]) -> None:
    for field in fields:
        if field in model.model_fields_set and getattr(model, field) is None:
            raise ValueError(f"{field} 不能为空 / {field} cannot be null")


# ---------------------------------------------------------------- units

_UNIT_EXAMPLE: dict[str, Any] = {
    "id": 5,
    "org_unit_id": 1,
    "name": "县税务局",
    "kind": "government",
    "party_org_name": "县税务局机关党支部",
    "contact_name": "李主任",
    "contact_phone": "138****5678",
    "is_archived": False,
    "member_count": 42,
    "version": 1,
    "town_id": 1,
    "community_id": None,
    "grid_id": None,
    "building_id": None,
    "household_id": None,
    "created_at": "2026-11-22T09:00:00+08:00",
    "updated_at": "2026-11-22T09:00:00+08:00",
}


class WorkUnitCreate(StrictModel):
    """A unit registered with a town (or a community, for a 驻区单位)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_unit_id": 1,
                    "name": "县税务局",
                    "kind": "government",
                    "party_org_name": "县税务局机关党支部",
                    "contact_name": "李主任",
                    "contact_phone": "0769-22221234",
                }
            ]
        }
    )

    org_unit_id: Id = Field(description="The town or community whose registry holds it")
    name: Name
    kind: WorkUnitKind
    party_org_name: Name = Field(description="Its party organisation (党组织)")
    contact_name: ContactName | None = None
    contact_phone: ContactPhone | None = None


class WorkUnitUpdate(StrictModel):
    """Only the fields sent change; ``null`` clears the contact."""

    not_null = ("name", "kind", "party_org_name", "is_archived")

    model_config = ConfigDict(json_schema_extra={"examples": [{"contact_name": "王主任"}]})

    name: Name | None = None
    kind: WorkUnitKind | None = None
    party_org_name: Name | None = None
    contact_name: ContactName | None = None
    contact_phone: ContactPhone | None = None
    is_archived: Bool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> "WorkUnitUpdate":
        _refuse_nulls(self, ("name", "kind", "party_org_name", "is_archived"))
        return self


class WorkUnitRead(Placement):
    """A unit; its contact phone is masked without ``pii`` over its registry node."""

    model_config = ConfigDict(json_schema_extra={"examples": [_UNIT_EXAMPLE]})

    id: int
    org_unit_id: int
    name: str
    kind: WorkUnitKind
    party_org_name: str
    contact_name: str | None
    contact_phone: str | None
    is_archived: bool
    member_count: int = Field(description="In-service members on its roster (在职党员)")
    version: int
    created_at: datetime
    updated_at: datetime


class WorkUnitPage(Page[WorkUnitRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_UNIT_EXAMPLE], "next_cursor": None}]}
    )


class WorkUnitQuery(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"q": "税务", "limit": 20}]})

    q: Line | None = Field(default=None, min_length=1, max_length=50, description="Name contains")
    kind: WorkUnitKind | None = None
    include_archived: BoolParam = False
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


# ---------------------------------------------------------------- roster


class RosterIn(StrictModel):
    """A party member working at the unit (在职党员)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"person_id": 1001}]})

    person_id: Id


class RosterRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "person_id": 1001,
                    "name": "张三",
                    "work_unit_id": 5,
                    "joined_at": "2026-11-22T09:00:00+08:00",
                }
            ]
        },
    )

    person_id: int
    name: str
    work_unit_id: int
    joined_at: datetime


class RosterPage(Page[RosterRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


# ---------------------------------------------------------------- pairings

_PAIRING_EXAMPLE: dict[str, Any] = {
    "id": 3,
    "work_unit_id": 5,
    "work_unit_name": "县税务局",
    "org_unit_id": 2,
    "org_unit_name": "红星社区",
    "started_on": "2026-01-01",
    "ended_on": None,
    "town_id": 1,
    "community_id": 2,
    "grid_id": None,
    "building_id": None,
    "household_id": None,
    "created_at": "2026-11-22T09:00:00+08:00",
    "updated_at": "2026-11-22T09:00:00+08:00",
}


class PairingCreate(StrictModel):
    """结对 / 挂钩联系 with a community or a residential compound (a grid of kind compound)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"org_unit_id": 2, "started_on": "2026-01-01"}]}
    )

    org_unit_id: Id
    started_on: Date


class PairingEnd(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"ended_on": "2026-12-31"}]})

    ended_on: Date


class PairingRead(Placement):
    """A pairing; ``town_id`` … are the ancestors of the paired community or compound."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PAIRING_EXAMPLE]})

    id: int
    work_unit_id: int
    work_unit_name: str
    org_unit_id: int
    org_unit_name: str
    started_on: date
    ended_on: date | None
    created_at: datetime
    updated_at: datetime


class PairingPage(Page[PairingRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_PAIRING_EXAMPLE], "next_cursor": None}]}
    )


class PairingQuery(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"work_unit_id": 5}]})

    work_unit_id: IdParam | None = None
    org_unit_id: IdParam | None = None
    include_ended: BoolParam = False
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


# ---------------------------------------------------------------- commitments

_COMMITMENT_EXAMPLE: dict[str, Any] = {
    "id": 8,
    "pairing_id": 3,
    "year": 2026,
    "kind": "livelihood",
    "title": "加装楼道照明",
    "description": "为3栋加装声控照明",
    "status": "done",
    "done_on": "2026-10-12",
    "result": "完成32盏",
    "version": 3,
    "created_at": "2026-11-22T09:00:00+08:00",
    "updated_at": "2026-11-22T09:00:00+08:00",
}


class CommitmentCreate(StrictModel):
    """One of a pairing's 1–2 yearly commitments (民生实事 or 小区党建项目)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"year": 2026, "kind": "livelihood", "title": "加装楼道照明"}]
        }
    )

    year: Year
    kind: CommitmentKind
    title: Title
    description: Description | None = None


class CommitmentUpdate(StrictModel):
    """Progress: ``done`` needs ``done_on``; leaving ``done`` clears it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "done", "done_on": "2026-10-12", "result": "完成32盏"}]
        }
    )

    not_null = ("title", "status")

    title: Title | None = None
    description: Description | None = None
    status: CommitmentStatus | None = None
    done_on: Date | None = None
    result: Result | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "CommitmentUpdate":
        if self.status is CommitmentStatus.done and self.done_on is None:
            raise ValueError("done 需要 done_on / status done needs done_on")
        if self.done_on is not None and self.status not in (None, CommitmentStatus.done):
            raise ValueError("done_on 仅用于 done / done_on goes with status done")
        return self


class CommitmentRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_COMMITMENT_EXAMPLE]}
    )

    id: int
    pairing_id: int
    year: int
    kind: CommitmentKind
    title: str
    description: str | None
    status: CommitmentStatus
    done_on: date | None
    result: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class CommitmentPage(Page[CommitmentRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_COMMITMENT_EXAMPLE], "next_cursor": None}]}
    )
