"""Errors of the units registry (单位), pairings (结对) and commitments (承诺事项)."""

from app.errors import BusinessRuleViolation, Conflict, NotFound


class WorkUnitNotFound(NotFound):
    code = "work_unit.not_found"
    message_zh = "单位不存在"
    message_en = "The unit does not exist"


class RegistryNodeNotFound(NotFound):
    code = "work_unit.org_unit_not_found"
    message_zh = "组织不存在"
    message_en = "The org unit does not exist"


class InvalidRegistryNode(BusinessRuleViolation):
    """Units are registered with a town or a community (驻区单位), never lower."""

    code = "work_unit.invalid_org_unit"
    message_zh = "单位只能登记在镇(街道)或社区"
    message_en = "A unit is registered with a town or a community"


class WorkUnitNameTaken(Conflict):
    code = "work_unit.name_taken"
    message_zh = "该组织已登记同名单位"
    message_en = "A unit of this name is already registered there"


class WorkUnitArchived(BusinessRuleViolation):
    code = "work_unit.archived"
    message_zh = "单位已归档"
    message_en = "The unit is archived"


class RosterPersonNotFound(NotFound):
    code = "work_unit.person_not_found"
    message_zh = "人员不存在"
    message_en = "The person does not exist"


class NotAPartyMember(BusinessRuleViolation):
    code = "work_unit.not_a_party_member"
    message_zh = "只有党员可以登记为单位在职党员"
    message_en = "Only party members can be on a unit's roster"


class OnAnotherRoster(Conflict):
    code = "work_unit.on_another_roster"
    message_zh = "该党员已登记在其他单位"
    message_en = "The member is already on a unit's roster"


class RosterMemberNotFound(NotFound):
    code = "work_unit.member_not_found"
    message_zh = "该人员不在单位在职党员名单中"
    message_en = "The person is not on the unit's roster"


class PairingNodeNotFound(NotFound):
    code = "pairing.org_unit_not_found"
    message_zh = "结对的社区或小区不存在"
    message_en = "The community or compound does not exist"


class InvalidPairingNode(BusinessRuleViolation):
    """挂钩联系: a unit pairs with a community or a compound (小区 grid)."""

    code = "pairing.invalid_org_unit"
    message_zh = "单位只能与社区或小区结对"
    message_en = "A unit pairs with a community or a residential compound"


class AlreadyPaired(Conflict):
    code = "pairing.already_paired"
    message_zh = "该单位已与此社区或小区结对"
    message_en = "The unit is already paired with this community or compound"


class PairingNotFound(NotFound):
    code = "pairing.not_found"
    message_zh = "结对关系不存在"
    message_en = "The pairing does not exist"


class PairingEnded(Conflict):
    code = "pairing.ended"
    message_zh = "结对关系已结束"
    message_en = "The pairing has ended"


class InvalidEndDate(BusinessRuleViolation):
    code = "pairing.invalid_end"
    message_zh = "结束日期不能早于开始日期"
    message_en = "The end date is before the start date"


class TooManyCommitments(Conflict):
    """双结对: 明确1—2件民生实事 (seed 001) — at most two a year per pairing."""

    code = "commitment.too_many"
    message_zh = "每个结对每年最多承诺两件实事"
    message_en = "A pairing makes at most two commitments a year"


class CommitmentNotFound(NotFound):
    code = "commitment.not_found"
    message_zh = "承诺事项不存在"
    message_en = "The commitment does not exist"


class InvalidProgress(BusinessRuleViolation):
    code = "commitment.invalid_progress"
    message_zh = "已完成的承诺事项需要完成日期，未完成的不能有完成日期"
    message_en = "A done commitment needs its done date; one not done cannot have it"
