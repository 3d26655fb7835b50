"""Errors of the order configuration (categories, time limits, calendar, departments, teams)."""

from app.errors import BusinessRuleViolation, Conflict, Forbidden, NotFound


class GlobalConfigForbidden(Forbidden):
    """Categories, time-limit classes and the calendar are shared by every town."""

    code = "order_config.town_level_required"
    message_zh = "全局工单配置只能由超级管理员或在镇(街道)获授 orders.config 的管理员修改"
    message_en = (
        "Global order configuration can only be changed by a superuser or by holders "
        "of orders.config at a town"
    )


class CategoryNotFound(NotFound):
    code = "order_category.not_found"
    message_zh = "服务类别不存在"
    message_en = "The order category does not exist"


class CategoryCodeTaken(Conflict):
    code = "order_category.code_taken"
    message_zh = "服务类别编码已存在"
    message_en = "The order category code is already taken"


class UnknownTimeLimit(BusinessRuleViolation):
    code = "order_category.unknown_time_limit"
    message_zh = "办理时限类别不存在"
    message_en = "The time-limit class does not exist"


class TimeLimitNotFound(NotFound):
    code = "time_limit_class.not_found"
    message_zh = "办理时限类别不存在"
    message_en = "The time-limit class does not exist"


class TimeLimitCodeTaken(Conflict):
    code = "time_limit_class.code_taken"
    message_zh = "办理时限类别编码已存在"
    message_en = "The time-limit class code is already taken"


class OverrideNotFound(NotFound):
    code = "calendar_override.not_found"
    message_zh = "该日期没有人工设置的工作日安排"
    message_en = "No calendar override exists for this date"


class InvalidDateRange(BusinessRuleViolation):
    code = "calendar.invalid_range"
    message_zh = "日期范围无效"
    message_en = "The date range is invalid"


class DepartmentNotFound(NotFound):
    code = "department.not_found"
    message_zh = "职能部门不存在"
    message_en = "The department does not exist"


class DepartmentCodeTaken(Conflict):
    code = "department.code_taken"
    message_zh = "职能部门编码已存在"
    message_en = "The department code is already taken"


class TownNotFound(NotFound):
    code = "department.town_not_found"
    message_zh = "镇(街道)不存在"
    message_en = "The town does not exist"


class NotATown(BusinessRuleViolation):
    """职能部门 belong to a town (镇/街道), never to a community or below."""

    code = "department.not_a_town"
    message_zh = "职能部门只能设在镇(街道)"
    message_en = "A department belongs to a town"


class UnitArchived(BusinessRuleViolation):
    code = "order_config.unit_archived"
    message_zh = "组织已归档"
    message_en = "The org unit is archived"


class DepartmentUserNotFound(NotFound):
    code = "department.user_not_found"
    message_zh = "用户不存在或已停用"
    message_en = "The user does not exist or is disabled"


class AlreadyDepartmentMember(Conflict):
    code = "department.already_member"
    message_zh = "该用户已是部门成员"
    message_en = "The user is already a member of the department"


class DepartmentMemberNotFound(NotFound):
    code = "department.member_not_found"
    message_zh = "该用户不是部门成员"
    message_en = "The user is not a member of the department"


class TeamNotFound(NotFound):
    code = "volunteer_team.not_found"
    message_zh = "志愿服务队不存在"
    message_en = "The volunteer team does not exist"


class TeamUnitNotFound(NotFound):
    code = "volunteer_team.unit_not_found"
    message_zh = "组织不存在"
    message_en = "The org unit does not exist"


class TeamNameTaken(Conflict):
    code = "volunteer_team.name_taken"
    message_zh = "该组织下已有同名志愿服务队"
    message_en = "A volunteer team of this name already exists at this org unit"


class TeamPersonNotFound(NotFound):
    code = "volunteer_team.person_not_found"
    message_zh = "人员不存在"
    message_en = "The person does not exist"


class NotAPartyMember(BusinessRuleViolation):
    """A 党员志愿服务队 takes orders as party members (党员接单): 党员 only."""

    code = "volunteer_team.not_a_party_member"
    message_zh = "该志愿服务队只接收党员"
    message_en = "Only party members can join this volunteer team"


class TeamHasResidents(BusinessRuleViolation):
    code = "volunteer_team.has_residents"
    message_zh = "志愿服务队中仍有非党员成员，不能改为仅限党员"
    message_en = "The team still has members who are not party members"


class TeamClosed(Conflict):
    code = "volunteer_team.closed"
    message_zh = "该志愿服务队不接受自行加入，请联系队长或社区"
    message_en = "This team does not take members by themselves; ask its leader or community"


class NoPersonLinked(BusinessRuleViolation):
    code = "volunteer_team.no_person"
    message_zh = "账号未关联人员信息"
    message_en = "The account is not linked to a person"


class AlreadyTeamMember(Conflict):
    code = "volunteer_team.already_member"
    message_zh = "该人员已是志愿服务队成员"
    message_en = "The person is already a member of the team"


class TeamMemberNotFound(NotFound):
    code = "volunteer_team.member_not_found"
    message_zh = "该人员不是志愿服务队成员"
    message_en = "The person is not a member of the team"
