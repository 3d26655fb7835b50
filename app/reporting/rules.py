"""Pure rules of the 接诉即办 report: the period, answer credits, and the formulas as text.

The SQL (``repository``) and the ``definitions`` a reader checks numbers with are
both built from what this module derives from ``kpi_setting``, so they cannot
disagree. No database, no I/O.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from app.db.base import ANCESTOR_COLUMNS
from app.kit.calendar import BUSINESS_TZ
from app.orders.workflow import OPEN, OrderStatus
from app.reporting.errors import InvalidPeriod
from app.reporting.schemas import Formula, KpiSettings

DEFAULT_DAYS = 30
"""Without dates, the report covers the last 30 business days, today included."""
MAX_DAYS = 366
"""One report spans at most a (leap) year."""

LEVEL_ORDER = ("town", "community", "grid", "building", "household")
CHILD_COLUMN = dict(zip(LEVEL_ORDER[:-1], ANCESTOR_COLUMNS[1:], strict=True))
"""The ancestor column that names a child of a unit of each level (a household has none)."""

STILL_WORKING: tuple[str, ...] = tuple(sorted(OPEN - {OrderStatus.resolved}))
"""Statuses of an order nobody has resolved yet (a reopened one included)."""

RESOLUTION_ANSWERS = ("yes", "partly", "no")
SATISFACTION_ANSWERS = ("satisfied", "basically", "not")
_ZH = {
    "yes": "已解决",
    "partly": "部分解决",
    "no": "未解决",
    "satisfied": "满意",
    "basically": "基本满意",
    "not": "不满意",
}


@dataclass(frozen=True)
class Period:
    from_date: date
    to_date: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.from_date, time(0), BUSINESS_TZ)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after ``to_date``."""
        return datetime.combine(self.to_date + timedelta(days=1), time(0), BUSINESS_TZ)


def resolve_period(date_from: date | None, date_to: date | None, today: date) -> Period:
    to_date = date_to or today
    from_date = date_from or to_date - timedelta(days=DEFAULT_DAYS - 1)
    if from_date > to_date:
        raise InvalidPeriod(
            f"开始日期 {from_date} 晚于结束日期 {to_date}",
            f"from ({from_date}) is after to ({to_date})",
        )
    if (to_date - from_date).days + 1 > MAX_DAYS:
        raise InvalidPeriod(
            f"统计期间最长 {MAX_DAYS} 天", f"a period spans at most {MAX_DAYS} days"
        )
    return Period(from_date, to_date)


def _credit(answer: str, full: list[str], middle: str, weight: float) -> Decimal:
    # The middle answer (部分解决 / 基本满意) always earns its configured weight — 0 leaves
    # it out, 1 counts it fully; any other answer earns 1 when the settings list it.
    if answer == middle:
        return Decimal(str(weight))
    return Decimal(1) if answer in full else Decimal(0)


def resolution_credits(settings: KpiSettings) -> dict[str, Decimal]:
    return {
        a: _credit(a, list(settings.resolved_answers), "partly", settings.partly_resolved_weight)
        for a in RESOLUTION_ANSWERS
    }


def satisfaction_credits(settings: KpiSettings) -> dict[str, Decimal]:
    return {
        a: _credit(
            a, list(settings.satisfied_answers), "basically", settings.basically_satisfied_weight
        )
        for a in SATISFACTION_ANSWERS
    }


def _credits_text(credits: dict[str, Decimal], zh: bool) -> str:
    if zh:
        return "，".join(f"{_ZH[a]}({a})={c.normalize()}" for a, c in credits.items())
    return ", ".join(f"{a}={c.normalize()}" for a, c in credits.items())


def _exclusions(settings: KpiSettings) -> tuple[str, str]:
    statuses = ", ".join(settings.excluded_statuses) or "—"
    if settings.exclude_flagged_unreasonable:
        return (
            f"状态属于 {{{statuses}}} 或被标记为不合理诉求(is_excluded)",
            f"status in {{{statuses}}} or flagged unreasonable (is_excluded)",
        )
    return f"状态属于 {{{statuses}}}", f"status in {{{statuses}}}"


def formulas(settings: KpiSettings) -> list[Formula]:
    res, sat = resolution_credits(settings), satisfaction_credits(settings)
    ex_zh, ex_en = _exclusions(settings)
    working = ", ".join(STILL_WORKING)
    rows = [
        (
            "period",
            "统计期间",
            "按受理时间 received_at（北京时间）：from 当日 00:00 ≤ received_at < to 次日 00:00",
            "by received_at in Asia/Shanghai: from 00:00 ≤ received_at < the day after to, 00:00",
        ),
        (
            "excluded",
            "剔除数",
            f"{ex_zh} 的工单；计入数 = 总数 − 剔除数，以下各项只算计入工单",
            f"orders with {ex_en}; counted = total − excluded, and every figure "
            "below is over counted orders only",
        ),
        (
            "response_rate",
            "响应率",
            "响应率 = 按时响应数 / 应响应数；应响应：有响应时限(response_due_at)且已首次联系或"
            "时限已过统计时点(as_of)；按时：first_contact_at ≤ response_due_at",
            "response_rate = on time / due; due: has a response_due_at and was contacted or the "
            "deadline passed before as_of; on time: first_contact_at ≤ response_due_at",
        ),
        (
            "resolution_rate",
            "解决率",
            "解决率 = Σ得分 / 回访作答数(feedback_resolved 非空，每单按最近一次作答，"
            "返工中的工单在重新作答前按上次作答计)；得分：" + _credits_text(res, True),
            "resolution_rate = Σ credit / answered (feedback_resolved set; each order's latest "
            "answer, a reworked order keeps its last answer until answered again); credit: "
            + _credits_text(res, False),
        ),
        (
            "satisfaction_rate",
            "满意率",
            "满意率 = Σ得分 / 回访作答数(feedback_satisfaction 非空)；得分："
            + _credits_text(sat, True),
            "satisfaction_rate = Σ credit / answered (feedback_satisfaction set); credit: "
            + _credits_text(sat, False),
        ),
        (
            "mean_hours_to_accept",
            "平均接单时长",
            "平均(accepted_at − received_at)，单位小时，保留两位小数，仅计已接单的工单",
            "mean of accepted_at − received_at in hours (two decimals), over accepted orders",
        ),
        (
            "mean_hours_to_resolve",
            "平均办结时长",
            "平均(resolved_at − received_at)，单位小时，保留两位小数，"
            f"仅计已办结且不在办({working})的工单",
            "mean of resolved_at − received_at in hours (two decimals), over orders with a "
            f"resolved_at whose status is not one of {working}",
        ),
        (
            "overdue",
            "超期数",
            f"有办结时限(resolve_due_at)，且：在办({working})而时限早于统计时点，"
            "或已办结而 resolved_at > resolve_due_at",
            f"has a resolve_due_at and either still open ({working}) past it as of the "
            "report, or resolved_at > resolve_due_at",
        ),
        (
            "escalated",
            "升级(吹哨)数",
            "escalation_level > 0 的工单",
            "orders with escalation_level > 0",
        ),
    ]
    return [Formula(metric=m, name_zh=n, formula_zh=zh, formula_en=en) for m, n, zh, en in rows]


RANKING_ZH = (
    "下级按满意率、解决率、响应率依次降序排名（某率无数据者排在后面），三率均相同者名次并列；"
    "三率均无数据的下级不排名"
)
RANKING_EN = (
    "children are ranked by satisfaction rate, then resolution rate, then response rate, "
    "descending (a missing rate sorts last); equal on all three share a rank; a child with "
    "no rate at all is not ranked"
)
