"""Errors of stations, duty rotas and honour rolls."""

from app.errors import BusinessRuleViolation, Conflict, NotFound


class StationNotFound(NotFound):
    code = "station.not_found"
    message_zh = "驿站（服务站）不存在"
    message_en = "The station does not exist"


class StationNameTaken(Conflict):
    code = "station.name_taken"
    message_zh = "该节点下已有同名驿站"
    message_en = "A station of this name already serves this node"


class StationInactive(Conflict):
    code = "station.inactive"
    message_zh = "驿站已停用"
    message_en = "The station is no longer active"


class ShiftNotFound(NotFound):
    code = "duty_shift.not_found"
    message_zh = "值班班次不存在"
    message_en = "The duty shift does not exist"


class ShiftFull(Conflict):
    code = "duty_shift.full"
    message_zh = "该班次人数已满"
    message_en = "The shift is full"


class ShiftOver(Conflict):
    code = "duty_shift.over"
    message_zh = "该班次已结束"
    message_en = "The shift is over"


class AlreadyOnShift(Conflict):
    code = "duty_shift.already_on"
    message_zh = "此人已在该班次中"
    message_en = "The person is already on this shift"


class NotDutyEligible(NotFound):
    """Duty is for party members of the station's community (where they live or by branch)."""

    code = "duty_shift.person_not_eligible"
    message_zh = "该人员不是本社区的党员"
    message_en = "The person is not a party member of the station's community"


class AssignmentNotFound(NotFound):
    code = "duty_assignment.not_found"
    message_zh = "值班安排不存在"
    message_en = "The duty assignment does not exist"


class AssignmentClosed(Conflict):
    """Only a scheduled duty can be checked in, handed over or withdrawn."""

    code = "duty_assignment.not_scheduled"
    message_zh = "该值班安排当前状态下不允许此操作"
    message_en = "This duty is no longer scheduled"


class OutsideCheckInWindow(Conflict):
    code = "duty_assignment.outside_window"
    message_zh = "不在签到时间内（班次开始前 30 分钟至结束）"
    message_en = "Check in from 30 minutes before the shift until it ends"


class SwapToSelf(BusinessRuleViolation):
    code = "duty_assignment.swap_to_self"
    message_zh = "不能换班给本人"
    message_en = "A duty cannot be handed over to the same person"


class HonourNotFound(NotFound):
    code = "honour.not_found"
    message_zh = "光荣榜记录不存在"
    message_en = "The honour entry does not exist"


class HonourWithdrawn(Conflict):
    code = "honour.withdrawn"
    message_zh = "该光荣榜记录已撤下"
    message_en = "The honour entry has already been withdrawn"
