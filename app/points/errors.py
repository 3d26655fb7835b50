"""Errors of red points (红色积分), each with a stable code.

The ledger core's own errors (``points.insufficient_balance``, ``points.unbalanced``)
live in ``app.points.ledger`` and are re-exported here.
"""

from app.errors import BusinessRuleViolation, Conflict, Forbidden, NotFound
from app.points.ledger import InsufficientPoints, UnbalancedTransaction

__all__ = [
    "ActivityTypeUnknown",
    "AdjustmentRequestNotFound",
    "AlreadyDecided",
    "AlreadyReversed",
    "CapReached",
    "DefaultRulesNeedSuperuser",
    "InsufficientPoints",
    "NoLinkedPerson",
    "NotReversible",
    "OwnRequest",
    "PersonNotFound",
    "ReverseRedemptionViaShop",
    "RuleKeyRequired",
    "SelfAdjustment",
    "TownNotFound",
    "TransactionNotFound",
    "UnbalancedTransaction",
    "UnitNotFound",
]


class PersonNotFound(NotFound):
    code = "points.person_not_found"
    message_zh = "人员不存在"
    message_en = "The person does not exist"


class NoLinkedPerson(NotFound):
    """The caller's account is not linked to a person, so it has no points of its own."""

    code = "points.no_linked_person"
    message_zh = "当前账号未关联人员，没有积分账户"
    message_en = "Your account is not linked to a person, so it has no points account"


class UnitNotFound(NotFound):
    code = "points.unit_not_found"
    message_zh = "组织不存在"
    message_en = "The org unit does not exist"


class TownNotFound(NotFound):
    code = "points.town_not_found"
    message_zh = "镇（街道）不存在"
    message_en = "The town does not exist"


class TransactionNotFound(NotFound):
    code = "points.transaction_not_found"
    message_zh = "积分交易不存在"
    message_en = "The points transaction does not exist"


class AlreadyReversed(Conflict):
    code = "points.already_reversed"
    message_zh = "该交易已冲正，不能重复冲正"
    message_en = "This transaction has already been reversed"


class NotReversible(Conflict):
    code = "points.not_reversible"
    message_zh = "冲正交易不能再次冲正"
    message_en = "A reversal cannot itself be reversed"


class ActivityTypeUnknown(BusinessRuleViolation):
    code = "points.unknown_activity_type"
    message_zh = "该活动类型没有积分规则"
    message_en = "No earning rule exists for this activity type"


class CapReached(BusinessRuleViolation):
    code = "points.cap_reached"
    message_zh = "已达到每日或每月积分上限"
    message_en = "The daily or monthly points cap has been reached"


class DefaultRulesNeedSuperuser(Forbidden):
    code = "points.default_rules_superuser_only"
    message_zh = "修改全局默认积分规则须超级管理员"
    message_en = "Only a superuser may change the default rules of every town"


class ReverseRedemptionViaShop(Conflict):
    """Reversing a redemption here would refund without restocking the reward."""

    code = "points.reverse_redemption_via_shop"
    message_zh = "兑换交易请通过取消兑换退还积分"
    message_en = "Cancel the redemption to refund it; it cannot be reversed directly"


class RuleKeyRequired(BusinessRuleViolation):
    code = "points.rule_key_required"
    message_zh = "该类规则须指定类别或活动类型"
    message_en = "This kind of rule needs a key (order category or activity type)"


class SelfAdjustment(Forbidden):
    """Nobody awards points to, or deducts them from, the person their own account
    acts as: another holder of ``points.award`` does."""

    code = "points.self_adjustment"
    message_zh = "不能为自己奖扣积分，请由其他管理员办理"
    message_en = "You cannot award points to or deduct them from yourself"


class AdjustmentRequestNotFound(NotFound):
    code = "points.adjustment_request_not_found"
    message_zh = "积分奖扣审批申请不存在"
    message_en = "The points adjustment request does not exist"


class OwnRequest(Forbidden):
    """四眼原则: the second pair of eyes is never the first."""

    code = "points.own_request"
    message_zh = "不能审批自己提交的积分奖扣申请，请由其他管理员审批"
    message_en = "You cannot approve or reject your own adjustment request"


class AlreadyDecided(Conflict):
    code = "points.request_decided"
    message_zh = "该积分奖扣申请已被审批"
    message_en = "This adjustment request has already been approved or rejected"
