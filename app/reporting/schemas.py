"""Bodies of the KPI reports (``/stats``): 接诉即办 三率 and friends, per subtree and period.

Rates are fractions between 0 and 1 (four decimals), each given with its numerator
and denominator so a reader can check it by hand; ``definitions`` carries the
formulas and the ``kpi_setting`` values the numbers were computed with.
"""

import enum
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.orders.workflow import OrderStatus

ResolvedAnswer = Literal["yes", "partly", "no"]
"""回访 question 1 (是否解决): yes 已解决 / partly 部分解决 / no 未解决."""
SatisfactionAnswer = Literal["satisfied", "basically", "not"]
"""回访 question 2 (是否满意): satisfied 满意 / basically 基本满意 / not 不满意."""


class ReportFormat(enum.StrEnum):
    """Representation of a report (报表格式)."""

    json = "json"
    """JSON · the body described here."""
    xlsx = "xlsx"
    """Excel 工作簿 · sheets 总览, 按类别, 按下级 with Chinese headers."""


_SETTINGS_EXAMPLE: dict[str, Any] = {
    "excluded_statuses": ["merged", "rejected", "cancelled"],
    "exclude_flagged_unreasonable": True,
    "resolved_answers": ["yes"],
    "partly_resolved_weight": 0.5,
    "satisfied_answers": ["satisfied", "basically"],
    "basically_satisfied_weight": 0.8,
}
_FORMULA_EXAMPLE: dict[str, Any] = {
    "metric": "satisfaction_rate",
    "name_zh": "满意率",
    "formula_zh": "满意率 = Σ得分 / 回访作答数；得分：满意=1，基本满意=0.8，不满意=0",
    "formula_en": "satisfaction_rate = Σ credit / answered; credit: "
    "satisfied=1, basically=0.8, not=0",
}
_STATUS_EXAMPLE: dict[str, Any] = {
    "submitted": 2,
    "triaged": 1,
    "dispatched": 1,
    "pooled": 0,
    "in_progress": 3,
    "resolved": 2,
    "closed": 20,
    "rejected": 1,
    "merged": 1,
    "cancelled": 0,
}
_UNIT_EXAMPLE: dict[str, Any] = {"id": 7, "name": "红星社区", "code": "SL-HX", "level": "community"}
_PERIOD_EXAMPLE: dict[str, Any] = {
    "from_date": "2026-11-01",
    "to_date": "2026-11-30",
    "timezone": "Asia/Shanghai",
    "basis": "received_at",
}
_DEFINITIONS_EXAMPLE: dict[str, Any] = {
    "settings": _SETTINGS_EXAMPLE,
    "settings_basis": {
        "source": "town",
        "town_id": 1,
        "at": "2026-11-30",
        "version_id": 3,
        "version": 2,
        "effective_from": "2026-11-01",
    },
    "resolution_credits": {"yes": 1.0, "partly": 0.5, "no": 0.0},
    "satisfaction_credits": {"satisfied": 1.0, "basically": 0.8, "not": 0.0},
    "formulas": [_FORMULA_EXAMPLE],
    "ranking_zh": "按满意率、解决率、响应率依次降序排名（无数据者在后），三率均相同者并列",
    "ranking_en": "by satisfaction, then resolution, then response rate, descending "
    "(missing last); equal on all three share a rank",
}


class KpiSettings(BaseModel):
    """The ``kpi_setting`` values a report used (configuration, not code)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [_SETTINGS_EXAMPLE]},
    )

    excluded_statuses: list[OrderStatus] = Field(
        max_length=10, description="Orders in these statuses are left out of every KPI (剔除)"
    )
    exclude_flagged_unreasonable: bool = Field(
        description="Leave out orders flagged unreasonable at triage (不合理诉求, `is_excluded`)"
    )
    resolved_answers: list[ResolvedAnswer] = Field(
        max_length=3, description="回访 answers to question 1 that count fully as resolved"
    )
    partly_resolved_weight: float = Field(
        ge=0, le=1, description="Credit of the answer `partly` (部分解决) in the resolution rate"
    )
    satisfied_answers: list[SatisfactionAnswer] = Field(
        max_length=3, description="回访 answers to question 2 that count fully as satisfied"
    )
    basically_satisfied_weight: float = Field(
        ge=0,
        le=1,
        description="Credit of the answer `basically` (基本满意) in the satisfaction rate",
    )


SettingsSource = Literal["town", "district_default"]
"""Where settings come from: the town's own version (本镇口径) or the district default
(区级默认口径, ``kpi_setting``)."""
_BASIS_EXAMPLE: dict[str, Any] = {
    "source": "town",
    "town_id": 1,
    "at": "2026-11-30",
    "version_id": 3,
    "version": 2,
    "effective_from": "2026-11-01",
}


class SettingsBasis(BaseModel):
    """Which KPI settings a report or bulletin used: the version in force in its town
    on the period's last day."""

    model_config = ConfigDict(json_schema_extra={"examples": [_BASIS_EXAMPLE]})

    source: SettingsSource
    town_id: int
    at: date = Field(description="The day the settings were taken in force at")
    version_id: int | None = Field(description="The town's version; null for the default")
    version: int | None = Field(description="Its number within the town (1, 2, …)")
    effective_from: date | None = Field(description="When that version took effect")


class Formula(BaseModel):
    """How one figure is computed, with the configured values filled in."""

    model_config = ConfigDict(json_schema_extra={"examples": [_FORMULA_EXAMPLE]})

    metric: str = Field(max_length=40)
    name_zh: str = Field(max_length=40)
    formula_zh: str = Field(max_length=500)
    formula_en: str = Field(max_length=500)


class Definitions(BaseModel):
    """Everything needed to recompute a number of the report by hand."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DEFINITIONS_EXAMPLE]})

    settings: KpiSettings
    settings_basis: SettingsBasis | None = Field(
        default=None, description="Which version of the settings was in force (本期适用口径)"
    )
    resolution_credits: dict[str, float] = Field(
        description="Credit of each 回访 answer to question 1, derived from the settings"
    )
    satisfaction_credits: dict[str, float] = Field(
        description="Credit of each 回访 answer to question 2, derived from the settings"
    )
    formulas: list[Formula]
    ranking_zh: str = Field(max_length=500)
    ranking_en: str = Field(max_length=500)


class Rate(BaseModel):
    """A rate with its parts: ``rate = numerator / denominator`` (null when nothing to rate)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"rate": 0.8333, "numerator": 5.0, "denominator": 6}]}
    )

    rate: float | None = Field(description="0 … 1, four decimals")
    numerator: float = Field(description="On-time contacts, or the sum of answer credits")
    denominator: int


class StatusCounts(BaseModel):
    """Orders received in the period by current status (all of them, excluded included)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_STATUS_EXAMPLE]})

    submitted: int = Field(description="待受理")
    triaged: int = Field(description="待派单")
    dispatched: int = Field(description="待接单")
    pooled: int = Field(description="抢单中")
    in_progress: int = Field(description="处置中")
    resolved: int = Field(description="待回访")
    closed: int = Field(description="已办结")
    rejected: int = Field(description="已驳回")
    merged: int = Field(description="已合并")
    cancelled: int = Field(description="已撤销")


_FIGURES_EXAMPLE: dict[str, Any] = {
    "total": 31,
    "excluded": 2,
    "counted": 29,
    "by_status": _STATUS_EXAMPLE,
    "response_rate": {"rate": 0.9, "numerator": 27.0, "denominator": 30},
    "resolution_rate": {"rate": 0.825, "numerator": 16.5, "denominator": 20},
    "satisfaction_rate": {"rate": 0.91, "numerator": 18.2, "denominator": 20},
    "mean_hours_to_accept": 3.25,
    "accepted": 26,
    "mean_hours_to_resolve": 52.4,
    "resolved": 22,
    "overdue": 3,
    "escalated": 2,
}


class KpiFigures(BaseModel):
    """The 接诉即办 figures of one set of orders (a subtree, a category or a child node)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_FIGURES_EXAMPLE]})

    total: int = Field(description="Orders received in the period (工单总量), all statuses")
    excluded: int = Field(description="Left out of every KPI below per the settings (剔除)")
    counted: int = Field(description="total − excluded: the orders the KPIs are computed on")
    by_status: StatusCounts
    response_rate: Rate = Field(description="响应率")
    resolution_rate: Rate = Field(description="解决率")
    satisfaction_rate: Rate = Field(description="满意率")
    mean_hours_to_accept: float | None = Field(
        description="平均接单时长: mean of accepted_at − received_at, hours (two decimals)"
    )
    accepted: int = Field(description="Counted orders with an acceptance (the mean's base)")
    mean_hours_to_resolve: float | None = Field(
        description="平均办结时长: mean of resolved_at − received_at, hours (two decimals)"
    )
    resolved: int = Field(description="Counted orders with a resolution (the mean's base)")
    overdue: int = Field(description="超期: resolved after, or still open past, resolve_due_at")
    escalated: int = Field(description="升级 (吹哨): escalation_level > 0")


class UnitRef(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_UNIT_EXAMPLE]})

    id: int
    name: str = Field(max_length=100)
    code: str = Field(max_length=64)
    level: str = Field(max_length=16)


class Period(BaseModel):
    """Business dates in Asia/Shanghai, both inclusive; orders are taken by ``received_at``."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PERIOD_EXAMPLE]})

    from_date: date
    to_date: date
    timezone: Literal["Asia/Shanghai"] = "Asia/Shanghai"
    basis: Literal["received_at"] = "received_at"


class CategoryStats(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category": "repair",
                    "name_zh": "维修",
                    "name_en": "Repair",
                    "figures": _FIGURES_EXAMPLE,
                }
            ]
        }
    )

    category: str = Field(max_length=32)
    name_zh: str = Field(max_length=50)
    name_en: str = Field(max_length=50)
    figures: KpiFigures


class ChildStats(BaseModel):
    """A node one level below the report's unit, with its rank among its siblings."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit": _UNIT_EXAMPLE,
                    "rank": 1,
                    "figures": _FIGURES_EXAMPLE,
                }
            ]
        }
    )

    unit: UnitRef
    rank: int | None = Field(
        description="1 = best (see definitions.ranking); null when the node has no rate at all"
    )
    figures: KpiFigures


class ArrivalStats(BaseModel):
    """吹哨报到 双考核: departments whistled to the orders, and how they reported (部门报到)."""

    whistled: int
    on_time: int
    late: int = Field(description="Arrived after the limit, or still missing past it")
    arrived_late: int
    missing: int = Field(description="Not arrived, the limit passed")


class ChannelStats(BaseModel):
    """The 回访 answers taken one way: ``self`` (the resident in the app) or by staff
    (``phone``, ``visit``, ``sms``)."""

    channel: str
    resolution_rate: Rate
    satisfaction_rate: Rate


class OrderStats(BaseModel):
    """The 接诉即办 report of a subtree over a period (三率, times, overdue, escalations)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit": {"id": 1, "name": "石龙镇", "code": "SL", "level": "town"},
                    "period": _PERIOD_EXAMPLE,
                    "as_of": "2026-11-30T18:00:00+08:00",
                    "summary": _FIGURES_EXAMPLE,
                    "by_category": [
                        {
                            "category": "repair",
                            "name_zh": "维修",
                            "name_en": "Repair",
                            "figures": _FIGURES_EXAMPLE,
                        }
                    ],
                    "by_child": [{"unit": _UNIT_EXAMPLE, "rank": 1, "figures": _FIGURES_EXAMPLE}],
                    "at_unit": None,
                    "definitions": _DEFINITIONS_EXAMPLE,
                }
            ]
        }
    )

    unit: UnitRef
    period: Period
    as_of: datetime = Field(description="When the report was computed; 'still open' is judged then")
    summary: KpiFigures
    by_category: list[CategoryStats] = Field(
        description="Per service category: every active one, and any other that has orders"
    )
    by_child: list[ChildStats] = Field(
        description="Per node one level below, ranked (best first); empty for a household"
    )
    department_arrivals: ArrivalStats | None = Field(
        default=None, description="部门报到 of the whistled departments (吹哨报到 双考核)"
    )
    by_feedback_channel: list[ChannelStats] = Field(
        default_factory=list,
        description="回访 answers split by how they were taken; they add up to the summary's",
    )
    at_unit: KpiFigures | None = Field(
        description="Orders placed at the unit itself rather than under a child (null if none)"
    )
    definitions: Definitions
