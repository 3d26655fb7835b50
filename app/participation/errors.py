"""Errors of activities (志愿服务活动), sign-ups and attendance."""

from app.errors import BusinessRuleViolation, Conflict, NotFound


class ActivityNotFound(NotFound):
    code = "activity.not_found"
    message_zh = "活动不存在"
    message_en = "The activity does not exist"


class ActivityNodeNotFound(NotFound):
    code = "activity.org_unit_not_found"
    message_zh = "组织不存在"
    message_en = "The org unit does not exist"


class NodeArchived(BusinessRuleViolation):
    code = "activity.org_unit_archived"
    message_zh = "组织已归档"
    message_en = "The org unit is archived"


class UnknownKind(BusinessRuleViolation):
    """A kind is the key of an ``activity_type`` points rule (积分规则), so attendance
    earns what the rule says."""

    code = "activity.unknown_kind"
    message_zh = "活动类型没有对应的积分规则"
    message_en = "No activity_type points rule exists for this kind"


class OrganiserNotFound(NotFound):
    code = "activity.organiser_not_found"
    message_zh = "组织方不存在"
    message_en = "The organiser does not exist"


class AudienceTeamNotFound(NotFound):
    code = "activity.team_not_found"
    message_zh = "志愿服务队不存在"
    message_en = "The volunteer team does not exist"


class InvalidTransition(Conflict):
    code = "activity.invalid_transition"
    message_zh = "活动当前状态不允许此操作"
    message_en = "The activity's state does not allow this"


class CapacityBelowConfirmed(Conflict):
    code = "activity.capacity_below_confirmed"
    message_zh = "名额不能少于已确认报名人数"
    message_en = "The capacity cannot be below the confirmed sign-ups"


class SignupClosed(Conflict):
    code = "activity.signup_closed"
    message_zh = "活动已开始，报名已截止"
    message_en = "Sign-up closed when the activity started"


class NotEligible(BusinessRuleViolation):
    code = "activity.not_eligible"
    message_zh = "不符合该活动的报名条件"
    message_en = "The activity is not open to this person"


class AlreadySignedUp(Conflict):
    code = "activity.already_signed_up"
    message_zh = "已报名该活动"
    message_en = "Already signed up for the activity"


class NotSignedUp(NotFound):
    code = "activity.not_signed_up"
    message_zh = "未报名该活动"
    message_en = "Not signed up for the activity"


class AlreadyCheckedIn(Conflict):
    code = "activity.already_checked_in"
    message_zh = "已签到"
    message_en = "Already checked in"


class NotCheckedIn(Conflict):
    code = "activity.not_checked_in"
    message_zh = "尚未签到"
    message_en = "Not checked in"


class AlreadyCheckedOut(Conflict):
    code = "activity.already_checked_out"
    message_zh = "已签退"
    message_en = "Already checked out"


class ActivityFull(Conflict):
    code = "activity.full"
    message_zh = "活动名额已满"
    message_en = "The activity is full"


class OutsideCheckinWindow(Conflict):
    code = "activity.outside_checkin_window"
    message_zh = "不在签到签退时间内"
    message_en = "Outside the check-in and check-out window"


class InvalidCode(BusinessRuleViolation):
    """A code of another activity or action, or not a code at all."""

    code = "activity.invalid_code"
    message_zh = "签到码无效"
    message_en = "The check-in code is not valid for this activity"


class StaleCode(BusinessRuleViolation):
    """A code past its time step (a photo of an old code): rescan the live one."""

    code = "activity.stale_code"
    message_zh = "签到码已过期，请扫描现场最新的二维码"
    message_en = "The check-in code has expired; scan the live one"


class UsedCode(BusinessRuleViolation):
    """A code checks in (or out) one person: a replay or a forwarded screenshot of a code
    someone already scanned checks nobody in."""

    code = "activity.used_code"
    message_zh = "签到码已被使用，请扫描现场刷新后的二维码"
    message_en = "The check-in code was already used; scan the refreshed one"


class NotStarted(Conflict):
    code = "activity.not_started"
    message_zh = "活动尚未开始"
    message_en = "The activity has not started"


class AttendanceVoided(Conflict):
    code = "activity.attendance_voided"
    message_zh = "该签到记录已作废"
    message_en = "The attendance was voided"


class PersonNotFound(NotFound):
    code = "activity.person_not_found"
    message_zh = "人员不存在"
    message_en = "The person does not exist"


class InvalidTime(BusinessRuleViolation):
    code = "activity.invalid_time"
    message_zh = "时间无效：结束须晚于开始，记录时间不能晚于现在"
    message_en = "Invalid time: the end must follow the start, a record cannot be in the future"
