"""Errors of members' registrations (双报到)."""

from app.errors import BusinessRuleViolation, Conflict, NotFound


class RegistrationNotFound(NotFound):
    code = "registration.not_found"
    message_zh = "报到记录不存在"
    message_en = "The registration does not exist"


class PlaceNotFound(NotFound):
    code = "registration.org_unit_not_found"
    message_zh = "报到的社区或小区不存在"
    message_en = "The community or compound does not exist"


class InvalidPlace(BusinessRuleViolation):
    code = "registration.invalid_org_unit"
    message_zh = "只能向社区或小区报到"
    message_en = "Members report to a community or a residential compound"


class PersonNotFound(NotFound):
    code = "registration.person_not_found"
    message_zh = "人员不存在"
    message_en = "The person does not exist"


class NotAPartyMember(BusinessRuleViolation):
    code = "registration.not_a_party_member"
    message_zh = "只有党员可以报到"
    message_en = "Only party members register (报到)"


class UnitRequired(BusinessRuleViolation):
    code = "registration.unit_required"
    message_zh = "单位联系社区报到需要所在单位"
    message_en = "A linked registration needs the member's unit"


class NotOnRoster(BusinessRuleViolation):
    code = "registration.not_on_roster"
    message_zh = "该党员不在此单位的在职党员名单中"
    message_en = "The member is not on the unit's roster"


class NotPaired(BusinessRuleViolation):
    code = "registration.not_paired"
    message_zh = "该单位未与此社区结对"
    message_en = "The unit is not paired with this community"


class AlreadyRegistered(Conflict):
    code = "registration.already_registered"
    message_zh = "已向该社区报到"
    message_en = "The member already registered there"


class HomeRegistered(Conflict):
    code = "registration.home_exists"
    message_zh = "已有居住地社区报到，请先撤回"
    message_en = "The member already registered with a home community; withdraw it first"


class NotPending(Conflict):
    code = "registration.not_pending"
    message_zh = "报到记录不是待确认状态"
    message_en = "The registration is not pending"


class Withdrawn(Conflict):
    code = "registration.withdrawn"
    message_zh = "报到记录已撤回"
    message_en = "The registration was withdrawn"


class ThreeOnesAtHome(BusinessRuleViolation):
    """三个一 are taken up in the home compound (居住地小区)."""

    code = "registration.three_ones_at_home"
    message_zh = "“三个一”仅适用于居住地报到"
    message_en = "The 三个一 belong to the home registration"


class TeamNotInCommunity(NotFound):
    code = "registration.team_not_found"
    message_zh = "该社区没有此志愿服务队"
    message_en = "No such volunteer team in the community"


class BuildingNotInCommunity(NotFound):
    code = "registration.building_not_found"
    message_zh = "该社区没有此楼栋"
    message_en = "No such building in the community"
