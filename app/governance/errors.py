"""Errors every part of governance shares, each with a stable dotted code."""

from app.errors import BusinessRuleViolation, NotFound


class UnitNotFound(NotFound):
    """The node does not exist, is archived, or lies outside the caller's scope (404)."""

    code = "governance.unit_not_found"
    message_zh = "组织节点不存在或不在您的范围内"
    message_en = "The org unit does not exist or is outside your scope"


class CompoundRequired(BusinessRuleViolation):
    code = "governance.compound_required"
    message_zh = "须为小区（网格层级）节点"
    message_en = "The node must be a compound (a grid-level unit)"


class PersonNotFound(NotFound):
    code = "governance.person_not_found"
    message_zh = "人员不存在或不在您的范围内"
    message_en = "The person does not exist or is outside your scope"


class PersonRequired(BusinessRuleViolation):
    code = "governance.person_required"
    message_zh = "账号未关联人员信息，不能以本人身份参与"
    message_en = "Your account is not linked to a person, so it cannot take part as one"


class NoHousehold(BusinessRuleViolation):
    """Households are 党员中心户 nodes or, below a building, unit and room of the address."""

    code = "governance.no_household"
    message_zh = "无法确定您所在的住户（请完善楼栋、单元、房号）"
    message_en = "Your household cannot be told (the address lacks a room)"


class NotInCompound(NotFound):
    """Only residents of the compound take part in its votes, ratings and evaluations."""

    code = "governance.not_in_compound"
    message_zh = "您不是该小区的居民"
    message_en = "You do not live in this compound"


class NotAPartyMember(BusinessRuleViolation):
    code = "governance.not_a_party_member"
    message_zh = "该人员不是党员"
    message_en = "The person is not a party member"


class InvalidCheckinCode(BusinessRuleViolation):
    """A code of another shift or meeting, or not a code at all."""

    code = "checkin.invalid_code"
    message_zh = "签到码无效"
    message_en = "The check-in code is not valid here"


class StaleCheckinCode(BusinessRuleViolation):
    """A code past its time step (a photo of an old code): rescan the live one."""

    code = "checkin.stale_code"
    message_zh = "签到码已过期，请扫描现场最新的二维码"
    message_en = "The check-in code has expired; scan the live one"


class UsedCheckinCode(BusinessRuleViolation):
    """A code checks in one person: a replay or a forwarded screenshot checks nobody in."""

    code = "checkin.used_code"
    message_zh = "签到码已被使用，请扫描现场刷新后的二维码"
    message_en = "The check-in code was already used; scan the refreshed one"
