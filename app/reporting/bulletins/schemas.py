"""Bodies of ``/stats/bulletins`` (通报): weekly and monthly bulletins of a town.

A bulletin reuses the KPI report's numbers (``/stats/orders``): the same 三率, the same
exclusions and the same ranking rule, with the settings in force in the town on the
period's last day (``definitions.settings_basis``).
"""

import enum
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.kit.pagination import Page
from app.kit.schemas import StrictModel
from app.kit.types import Date, Id
from app.reporting.schemas import Definitions, KpiFigures, Period, Rate, UnitRef


class BulletinKind(enum.StrEnum):
    """Kind of a bulletin (通报类型)."""

    weekly = "weekly"
    """周通报 · Monday to Sunday (Asia/Shanghai)."""
    monthly = "monthly"
    """月通报 · a calendar month."""


_RATE = {"rate": 0.9, "numerator": 9.0, "denominator": 10}
_RANKED: dict[str, Any] = {
    "rank": 1,
    "unit": {"id": 7, "name": "红星社区", "code": "SL-HX", "level": "community"},
    "community": None,
    "total": 12,
    "counted": 11,
    "response_rate": _RATE,
    "resolution_rate": _RATE,
    "satisfaction_rate": _RATE,
    "overdue": 1,
    "escalated": 0,
}
_ORDER: dict[str, Any] = {
    "id": 1201,
    "number": "GD20261118-000042",
    "title": "3栋楼道灯不亮",
    "category": "repair",
    "status": "in_progress",
    "community": "红星社区",
    "grid": "红星一网格",
    "received_at": "2026-11-18T09:00:00+08:00",
    "resolve_due_at": "2026-11-20T09:00:00+08:00",
    "resolved_at": None,
    "escalation_level": 1,
    "seconds_count": 4,
    "seconds_in_period": 3,
}
_SUMMARY: dict[str, Any] = {
    "id": 5,
    "town_id": 1,
    "kind": "weekly",
    "period_start": "2026-11-16",
    "period_end": "2026-11-22",
    "generated_at": "2026-11-23T00:07:02+08:00",
    "generated_by_user_id": None,
}


class RankedUnit(BaseModel):
    """A community or grid in the 三率 ranking (rank as the KPI report ranks)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RANKED]})

    rank: int | None = Field(description="1 = best; null when the node has no rate at all")
    unit: UnitRef
    community: UnitRef | None = Field(description="A grid's community (null for communities)")
    total: int
    counted: int
    response_rate: Rate = Field(description="响应率")
    resolution_rate: Rate = Field(description="解决率")
    satisfaction_rate: Rate = Field(description="满意率")
    overdue: int
    escalated: int


class BulletinOrder(BaseModel):
    """An order as a bulletin lists it: no resident, contact or address (PIPL)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ORDER]})

    id: int
    number: str
    title: str
    category: str
    status: str
    community: str | None
    grid: str | None
    received_at: datetime
    resolve_due_at: datetime | None
    resolved_at: datetime | None
    escalation_level: int
    seconds_count: int = Field(description="附议 in all")
    seconds_in_period: int | None = Field(
        default=None, description="附议 made within the period (the most-seconded list)"
    )


class BulletinContent(BaseModel):
    """What was published, frozen: later changes to the orders do not alter it."""

    town: UnitRef
    kind: BulletinKind
    period: Period
    as_of: datetime = Field(description="When it was computed; 'still open' is judged then")
    summary: KpiFigures
    communities: list[RankedUnit] = Field(description="三率 ranking of the town's communities")
    grids: list[RankedUnit] = Field(description="三率 ranking of all the town's grids")
    overdue_total: int
    overdue: list[BulletinOrder] = Field(
        description="超期 orders (as the report counts them), earliest deadline first, at most 100"
    )
    most_seconded: list[BulletinOrder] = Field(
        description="附议 most within the period, at most 10"
    )
    definitions: Definitions


class BulletinSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY]})

    id: int
    town_id: int
    kind: BulletinKind
    period_start: date
    period_end: date
    generated_at: datetime
    generated_by_user_id: int | None = Field(description="Null: published by the worker")


class BulletinRead(BulletinSummary):
    content: BulletinContent


class BulletinPage(Page[BulletinSummary]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SUMMARY], "next_cursor": None}]}
    )


class BulletinCreate(StrictModel):
    """Publish a town's bulletin for a finished period now (the worker does it hourly);
    asking again returns the one already published."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"town_id": 1, "kind": "weekly", "period_start": "2026-11-16"}]
        }
    )

    town_id: Id = Field(description="A town-level org unit (镇/街道)")
    kind: BulletinKind
    period_start: Date | None = Field(
        default=None,
        description="A Monday (weekly) or the 1st (monthly) of a finished period; default "
        "the last finished one",
    )
