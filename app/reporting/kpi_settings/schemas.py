"""Bodies of ``/stats/kpi-settings``: a town's versions of the KPI settings (考核口径)."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.pagination import Page
from app.kit.schemas import StrictModel
from app.kit.types import Bool, Date, Id, Line, Number
from app.orders.workflow import OrderStatus
from app.reporting.schemas import (
    KpiSettings,
    ResolvedAnswer,
    SatisfactionAnswer,
    SettingsBasis,
)

_SETTINGS: dict[str, Any] = {
    "excluded_statuses": ["merged", "rejected", "cancelled"],
    "exclude_flagged_unreasonable": True,
    "resolved_answers": ["yes"],
    "partly_resolved_weight": 0.5,
    "satisfied_answers": ["satisfied"],
    "basically_satisfied_weight": 0.6,
}
_VERSION: dict[str, Any] = {
    "id": 3,
    "town_id": 1,
    "version": 2,
    "effective_from": "2026-12-01",
    "settings": _SETTINGS,
    "note": "区考核办〔2026〕12号：基本满意按 0.6 计",
    "created_by_user_id": 5,
    "created_at": "2026-11-28T10:00:00+08:00",
}
Weight = Annotated[Number, Field(ge=0, le=1)]


def _unique(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


class KpiSettingsIn(StrictModel):
    """The complete settings of a version (every key; nothing is taken from the last one)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SETTINGS]})

    excluded_statuses: list[OrderStatus] = Field(
        max_length=10, description="Orders in these statuses are left out of every KPI (剔除)"
    )
    exclude_flagged_unreasonable: Bool = Field(
        description="Leave out orders flagged unreasonable at triage (不合理诉求)"
    )
    resolved_answers: list[ResolvedAnswer] = Field(
        max_length=3, description="回访 answers to question 1 that count fully as resolved"
    )
    partly_resolved_weight: Weight = Field(description="Credit of `partly` (部分解决), 0 … 1")
    satisfied_answers: list[SatisfactionAnswer] = Field(
        max_length=3, description="回访 answers to question 2 that count fully as satisfied"
    )
    basically_satisfied_weight: Weight = Field(
        description="Credit of `basically` (基本满意), 0 … 1"
    )

    _no_repeats = field_validator("excluded_statuses", "resolved_answers", "satisfied_answers")(
        _unique
    )


class KpiSettingsVersionCreate(StrictModel):
    """A new version of a town's settings; earlier versions stay as they were."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "town_id": 1,
                    "effective_from": "2026-12-01",
                    "settings": _SETTINGS,
                    "note": "区考核办〔2026〕12号：基本满意按 0.6 计",
                }
            ]
        }
    )

    town_id: Id = Field(description="A town-level org unit (镇/街道)")
    effective_from: Date | None = Field(
        default=None,
        description="First business day in force (Asia/Shanghai): today or later, at most "
        "a year ahead; default today",
    )
    settings: KpiSettingsIn
    note: Line | None = Field(default=None, max_length=500)


class KpiSettingsVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_VERSION]})

    id: int
    town_id: int
    version: int = Field(description="1, 2, … within the town")
    effective_from: date
    settings: KpiSettings
    note: str | None
    created_by_user_id: int | None
    created_at: datetime


class KpiSettingsVersionPage(Page[KpiSettingsVersionRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_VERSION], "next_cursor": None}]}
    )


class KpiSettingsInForce(BaseModel):
    """The settings a report of the town uses for a period ending on ``basis.at``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "basis": {
                        "source": "town",
                        "town_id": 1,
                        "at": "2026-12-05",
                        "version_id": 3,
                        "version": 2,
                        "effective_from": "2026-12-01",
                    },
                    "settings": _SETTINGS,
                    "latest_version": 2,
                }
            ]
        }
    )

    basis: SettingsBasis
    settings: KpiSettings
    latest_version: int = Field(
        description="The town's newest version number (0: none yet), also the `ETag`; "
        "send it as `If-Match` when adding the next version"
    )
