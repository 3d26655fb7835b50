"""Errors of meetings."""

from app.errors import BusinessRuleViolation, Conflict, NotFound


class MeetingNotFound(NotFound):
    code = "meeting.not_found"
    message_zh = "会议不存在"
    message_en = "The meeting does not exist"


class MeetingBodyNotFound(NotFound):
    code = "meeting.body_not_found"
    message_zh = "参会的合作主体不存在或不在您的范围内"
    message_en = "A body taking part does not exist or is outside your scope"


class MeetingStationNotFound(NotFound):
    code = "meeting.station_not_found"
    message_zh = "会议地点（驿站）不存在或不在您的范围内"
    message_en = "The station does not exist or is outside your scope"


class MeetingNotHeld(Conflict):
    code = "meeting.not_held"
    message_zh = "会议尚未召开（须先记录会议纪要）"
    message_en = "The meeting has not been held yet (record its minutes first)"


class MeetingClosed(Conflict):
    """Minutes are recorded once; a cancelled meeting takes none."""

    code = "meeting.not_planned"
    message_zh = "会议已召开或已取消"
    message_en = "The meeting was already held or cancelled"


class HeldInFuture(BusinessRuleViolation):
    code = "meeting.held_in_future"
    message_zh = "召开时间不能晚于现在"
    message_en = "A meeting cannot have been held in the future"


class AlreadyCheckedIn(Conflict):
    code = "meeting.already_checked_in"
    message_zh = "已签到"
    message_en = "Already checked in"


class OutsideMeetingWindow(Conflict):
    code = "meeting.outside_window"
    message_zh = "不在会议签到时间内（开始前1小时至开始后6小时）"
    message_en = "Check in from an hour before the meeting until six hours after its start"


class MatterNeedsCompound(BusinessRuleViolation):
    code = "meeting.matter_needs_compound"
    message_zh = "只有小区的会议决定才能提交五议"
    message_en = "Only a compound's meeting can open a 五议 matter"


class QuarterInvalid(BusinessRuleViolation):
    code = "meeting.quarter_invalid"
    message_zh = "季度须为 1 至 4"
    message_en = "The quarter must be 1 to 4"
