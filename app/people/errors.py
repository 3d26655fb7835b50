"""Errors of the people (人员) and party-member (党员) domain, each with a stable code."""

from app.errors import BusinessRuleViolation, Conflict, Forbidden, NotFound


class PersonNotFound(NotFound):
    code = "person.not_found"
    message_zh = "人员不存在"
    message_en = "The person does not exist"


class PersonReadOnly(Forbidden):
    """Visible through ``people.read`` but outside the caller's ``people.write`` scope."""

    code = "person.read_only"
    message_zh = "您只能查看该人员，无权修改"
    message_en = "You may see this person but not change them"


class HomeUnitNotFound(NotFound):
    code = "person.home_unit_not_found"
    message_zh = "居住节点不存在"
    message_en = "The home unit does not exist"


class InvalidHomeUnit(BusinessRuleViolation):
    code = "person.invalid_home_unit"
    message_zh = "居住节点须为未归档的楼栋或党员中心户"
    message_en = "The home unit must be a building or household that is not archived"


class IdNumberTaken(Conflict):
    """The same answer whether or not the holder lies within the caller's sight: it
    never says who or where (issue 15: existence across scopes)."""

    code = "person.id_number_taken"
    message_zh = "该身份证号已登记，如需迁入请联系上级管理员"
    message_en = "This ID number is already registered; ask a higher administrator to move it"


class PiiSearchForbidden(Forbidden):
    code = "person.pii_search_forbidden"
    message_zh = "按手机号或身份证号精确查找需要个人信息（pii）权限"
    message_en = "Searching by exact phone or ID number requires the pii permission"


class PersonArchived(Conflict):
    code = "person.archived"
    message_zh = "人员已归档"
    message_en = "The person is archived"


class PersonHasMembership(Conflict):
    code = "person.has_live_membership"
    message_zh = "该人员仍有党员身份，请先归档其党员信息"
    message_en = "The person still has a live party membership; archive it first"


class MemberNotFound(NotFound):
    code = "member.not_found"
    message_zh = "党员不存在"
    message_en = "The party member does not exist"


class MemberReadOnly(Forbidden):
    """Visible (e.g. through 双报到) but outside the caller's ``members.write`` scope."""

    code = "member.read_only"
    message_zh = "您只能查看该党员，其组织关系不在您的管辖范围内"
    message_en = "You may see this member, but their branch is outside your scope"


class BranchNotFound(NotFound):
    code = "member.branch_not_found"
    message_zh = "党支部不存在"
    message_en = "The branch does not exist"


class InvalidBranch(BusinessRuleViolation):
    code = "member.invalid_branch"
    message_zh = "组织关系须在未归档的网格党支部"
    message_en = "The branch must be a grid-level unit (党支部) that is not archived"


class InvalidCommunity(BusinessRuleViolation):
    code = "member.invalid_community"
    message_zh = "双报到社区须为未归档的社区"
    message_en = "A dual-registration community must be an existing community that is not archived"


class AlreadyMember(Conflict):
    code = "member.already_member"
    message_zh = "该人员已有党员信息"
    message_en = "This person already has a party membership"


class MemberArchived(Conflict):
    code = "member.archived"
    message_zh = "党员信息已归档"
    message_en = "The party membership is archived"
