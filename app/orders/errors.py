"""Errors of the order workflow, each with a stable dotted code (RFC 9457 ``code``)."""

from app.errors import BusinessRuleViolation, Conflict, NotFound


class OrderNotFound(NotFound):
    """Unknown, or outside what the caller may see or act on (scope rule: 404)."""

    message_zh = "工单不存在"
    message_en = "The order does not exist"


class InvalidTransition(Conflict):
    """The step is not allowed from the order's current status; nothing changed."""

    code = "order.invalid_transition"
    message_zh = "工单当前状态下不允许此操作"
    message_en = "This step is not allowed in the order's current status"


class AlreadyClaimed(Conflict):
    code = "order.already_claimed"
    message_zh = "该工单已被其他党员抢先认领"
    message_en = "Another member has already claimed this order"


class AlreadySeconded(Conflict):
    code = "order.already_seconded"
    message_zh = "您已附议过该工单"
    message_en = "You have already seconded this order"


class CannotSecondOwn(BusinessRuleViolation):
    code = "order.second_own"
    message_zh = "不能附议自己的工单"
    message_en = "You cannot second your own order"


class CategoryUnavailable(BusinessRuleViolation):
    code = "order.category_unavailable"
    message_zh = "服务类别不存在或已停用"
    message_en = "The category does not exist or is inactive"


class TimeLimitUnknown(BusinessRuleViolation):
    code = "order.time_limit_unknown"
    message_zh = "办理时限类别不存在"
    message_en = "The time-limit class does not exist"


class LocationNotFound(NotFound):
    """The location does not exist or the caller may not file there (scope rule: 404)."""

    code = "order.location_not_found"
    message_zh = "工单位置不存在或不在您的范围内"
    message_en = "The location does not exist or is outside your scope"


class LocationRequired(BusinessRuleViolation):
    code = "order.location_required"
    message_zh = "未指定居民时须填写工单位置"
    message_en = "Give a location when filing for no particular resident"


class ResidentNotFound(NotFound):
    code = "order.resident_not_found"
    message_zh = "居民不存在或不在您的范围内"
    message_en = "The resident does not exist or is outside your scope"


class PersonRequired(BusinessRuleViolation):
    code = "order.person_required"
    message_zh = "账号未关联居民信息，无法本人点单"
    message_en = "Your account is not linked to a person, so it cannot file its own orders"


class MergeTargetNotFound(NotFound):
    code = "order.merge_target_not_found"
    message_zh = "合并目标工单不存在或不在您的范围内"
    message_en = "The order to merge into does not exist or is outside your scope"


class MergeIntoItself(BusinessRuleViolation):
    code = "order.merge_into_itself"
    message_zh = "工单不能合并到自身"
    message_en = "An order cannot be merged into itself"


class MergeTargetClosed(Conflict):
    code = "order.merge_target_closed"
    message_zh = "合并目标工单已结束，不能合并"
    message_en = "The order to merge into is no longer open"


class AssigneeNotFound(NotFound):
    """A member or team outside the dispatcher's scope, or a department of another town."""

    code = "order.assignee_not_found"
    message_zh = "派单对象不存在或不在您的范围内"
    message_en = "The assignee does not exist or is outside your scope"


class AlreadyArrived(Conflict):
    code = "order.already_arrived"
    message_zh = "本部门已报到"
    message_en = "Your department has already reported for this order"
