"""Errors of 微心愿 (micro wishes)."""

from app.errors import BusinessRuleViolation, Conflict, Forbidden, NotFound


class WishNotFound(NotFound):
    code = "micro_wish.not_found"
    message_zh = "微心愿不存在"
    message_en = "The micro wish does not exist"


class WisherNotFound(NotFound):
    code = "micro_wish.wisher_not_found"
    message_zh = "许愿居民不存在"
    message_en = "The resident does not exist"


class NotOpen(Conflict):
    code = "micro_wish.not_open"
    message_zh = "微心愿已被认领或已关闭"
    message_en = "The wish is already claimed or closed"


class NotClaimed(Conflict):
    code = "micro_wish.not_claimed"
    message_zh = "微心愿不在认领状态"
    message_en = "The wish is not claimed"


class NotFulfilled(Conflict):
    code = "micro_wish.not_fulfilled"
    message_zh = "微心愿尚未完成"
    message_en = "The wish is not fulfilled yet"


class AlreadyThanked(Conflict):
    code = "micro_wish.already_thanked"
    message_zh = "已致谢"
    message_en = "Thanks were already given"


class Closed(Conflict):
    code = "micro_wish.closed"
    message_zh = "微心愿已完成或已取消"
    message_en = "The wish is fulfilled or cancelled"


class NotAPartyMember(BusinessRuleViolation):
    """党员认领微心愿 (seed 003): a member claims for themself."""

    code = "micro_wish.not_a_party_member"
    message_zh = "只有党员可以个人认领微心愿"
    message_en = "Only party members claim a wish for themselves"


class ClaimantNotFound(NotFound):
    code = "micro_wish.claimant_not_found"
    message_zh = "认领的志愿服务队或单位不存在"
    message_en = "The claiming team or unit does not exist"


class NotTheirLeader(Forbidden):
    code = "micro_wish.not_leader"
    message_zh = "只有队长或社区工作人员可以代表志愿服务队认领"
    message_en = "Only the team's leader or staff claim for a team"


class StaffOnly(Forbidden):
    code = "micro_wish.staff_only"
    message_zh = "只有社区工作人员可以代表单位认领"
    message_en = "Only staff claim for a unit"


class InvalidParticipants(BusinessRuleViolation):
    code = "micro_wish.invalid_participants"
    message_zh = "参与人须为认领队伍或单位的成员"
    message_en = "Participants must belong to the claiming team or unit"


class PledgeInPast(BusinessRuleViolation):
    code = "micro_wish.pledge_in_past"
    message_zh = "承诺完成日期不能早于今天"
    message_en = "The pledge date cannot be in the past"


class NotAllowed(Forbidden):
    code = "micro_wish.not_allowed"
    message_zh = "只有认领人或社区工作人员可以操作"
    message_en = "Only the claimant or staff can do this"


class NotTheWisher(Forbidden):
    code = "micro_wish.not_the_wisher"
    message_zh = "只有许愿居民本人或社区工作人员可以致谢"
    message_en = "Only the wisher or staff can give thanks"
