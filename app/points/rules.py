"""Earning rules (积分规则) evaluated without a database.

Rules are data (``points_rule``): a version is valid from ``valid_from`` until
``valid_to``; the rule in force for a town at a moment is the town's own version
valid then, else the default version (``town_id`` null). The repository loads the
rows valid at the moment; this module picks, computes and caps.

Caps (cap_daily, cap_monthly) limit what the *rules* award (orders closed,
activities attended, 微心愿 fulfilled): such an award is cut to the allowance left. The allowance
counts everything earned in the period — order and activity awards, manual awards,
minus deductions and reversals of earnings — so a member who already received a
large manual award may earn less by rule that day; manual awards and deductions by
staff are never cut themselves. The day and month are Asia/Shanghai business dates.
"""

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


class RuleKind(enum.StrEnum):
    """Kind of an earning rule (积分规则类型)."""

    order_category = "order_category"
    """工单类别积分 · points for closing an order of the category named by ``key``."""
    order_top_rating_bonus = "order_top_rating_bonus"
    """好评加分 · bonus when the 回访 answer is resolved = yes and satisfied."""
    activity_type = "activity_type"
    """活动积分 · points for attending an activity of the type named by ``key``."""
    micro_wish = "micro_wish"
    """微心愿积分 · points for each participant when a 微心愿 they claimed is fulfilled."""
    cap_daily = "cap_daily"
    """每日上限 · most points a member earns by rule per business day."""
    cap_monthly = "cap_monthly"
    """每月上限 · most points a member earns by rule per calendar month."""


class TxnKind(enum.StrEnum):
    """Kind of a points transaction (积分交易类型)."""

    order_award = "order_award"
    """工单办结奖励 · awarded when a service order closes."""
    activity_award = "activity_award"
    """活动奖励 · awarded for attending an activity."""
    wish_award = "wish_award"
    """微心愿奖励 · awarded for taking part in fulfilling a 微心愿."""
    manual_award = "manual_award"
    """人工奖励 · awarded by authorised staff with a reason."""
    manual_deduction = "manual_deduction"
    """人工扣减 · deducted by authorised staff with a reason."""
    redemption = "redemption"
    """兑换 · spent at the community shop (爱心超市)."""
    reversal = "reversal"
    """冲正 · cancels an earlier transaction (e.g. a cancelled redemption's refund)."""


KEYLESS = frozenset(
    {
        RuleKind.order_top_rating_bonus,
        RuleKind.micro_wish,
        RuleKind.cap_daily,
        RuleKind.cap_monthly,
    }
)
RULE_AWARD_KINDS = frozenset({TxnKind.order_award, TxnKind.activity_award, TxnKind.wish_award})
SPENT_KINDS = frozenset({TxnKind.redemption})
"""Transactions whose member legs count as spent; everything else counts as earned.
``app.points.verify`` applies the same rule in SQL."""
TOP_RESOLVED = "yes"
TOP_SATISFACTION = "satisfied"


def bucket_of(kind: str, original_kind: str | None = None) -> str:
    """``earned`` or ``spent``: where a transaction's member legs count in the
    period totals. A reversal counts where the transaction it reverses counted, so
    reversing an award lowers *earned* and refunding a redemption lowers *spent*."""
    effective = original_kind if kind == TxnKind.reversal and original_kind else kind
    return "spent" if effective in SPENT_KINDS else "earned"


@dataclass(frozen=True)
class RuleVersion:
    id: int
    kind: str
    key: str
    points: int
    town_specific: bool
    """True for the town's own version, False for the default of every town."""


@dataclass(frozen=True)
class RuleSet:
    """The rules in force for one town at one moment, keyed by (kind, key)."""

    versions: Mapping[tuple[str, str], RuleVersion]

    def get(self, kind: RuleKind, key: str = "") -> RuleVersion | None:
        return self.versions.get((kind.value, key))

    def points(self, kind: RuleKind, key: str = "") -> int | None:
        version = self.get(kind, key)
        return None if version is None else version.points


def in_force(rows: Iterable[RuleVersion]) -> RuleSet:
    """The town's own version of each rule wins over the default one."""
    chosen: dict[tuple[str, str], RuleVersion] = {}
    for row in rows:
        current = chosen.get((row.kind, row.key))
        if current is None or (row.town_specific and not current.town_specific):
            chosen[(row.kind, row.key)] = row
    return RuleSet(MappingProxyType(chosen))


@dataclass(frozen=True)
class OrderAward:
    base: int
    bonus: int
    base_rule_id: int | None
    bonus_rule_id: int | None

    @property
    def total(self) -> int:
        return self.base + self.bonus


def order_award(
    rules: RuleSet, category: str, resolved: str | None, satisfaction: str | None
) -> OrderAward:
    """Points for closing an order: its category's rule, plus the bonus for a top
    回访 answer (resolved = yes and satisfied; an auto-closed order has no answer)."""
    base = rules.get(RuleKind.order_category, category)
    top = resolved == TOP_RESOLVED and satisfaction == TOP_SATISFACTION
    bonus = rules.get(RuleKind.order_top_rating_bonus) if top else None
    return OrderAward(
        base=max(base.points, 0) if base else 0,
        bonus=max(bonus.points, 0) if bonus else 0,
        base_rule_id=base.id if base else None,
        bonus_rule_id=bonus.id if bonus else None,
    )


def allowance(rules: RuleSet, *, earned_today: int, earned_this_month: int) -> int | None:
    """Points a member may still earn by rule now (None: no cap applies)."""
    limits = []
    daily = rules.points(RuleKind.cap_daily)
    monthly = rules.points(RuleKind.cap_monthly)
    if daily is not None:
        limits.append(daily - earned_today)
    if monthly is not None:
        limits.append(monthly - earned_this_month)
    return max(0, min(limits)) if limits else None


def capped(points: int, left: int | None) -> int:
    """``points`` cut to the allowance ``left`` (never below zero)."""
    return max(0, points if left is None else min(points, left))
