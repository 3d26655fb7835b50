"""Errors of partner bodies, contracts and offices."""

from app.errors import BusinessRuleViolation, Conflict, Forbidden, NotFound


class BodyNotFound(NotFound):
    code = "partner_body.not_found"
    message_zh = "合作主体不存在"
    message_en = "The partner body does not exist"


class BodyNameTaken(Conflict):
    code = "partner_body.name_taken"
    message_zh = "该节点下已有同名同类的合作主体"
    message_en = "A body of this kind and name is already linked to this node"


class BodyInactive(Conflict):
    code = "partner_body.inactive"
    message_zh = "合作主体已撤销"
    message_en = "The partner body is no longer active"


class NotAPropertyCompany(BusinessRuleViolation):
    code = "partner_body.not_property_company"
    message_zh = "只有物业服务企业才有物业服务合同"
    message_en = "Only a property company has property contracts"


class OfficeNotFound(NotFound):
    code = "office.not_found"
    message_zh = "任职记录不存在"
    message_en = "The office term does not exist"


class SeatNotFound(NotFound):
    code = "office.seat_not_found"
    message_zh = "任职对象不存在或不在您的范围内"
    message_en = "The seat (org unit, body or station) does not exist or is outside your scope"


class OfficeDoesNotFit(BusinessRuleViolation):
    """E.g. a 业委会主任 in a property company, or a 楼长 of a community."""

    code = "office.does_not_fit"
    message_zh = "该职务不能在此任职对象中担任"
    message_en = "This office cannot be held in this seat"


class AlreadyHeld(Conflict):
    code = "office.already_held"
    message_zh = "此人已在该任职对象中担任该职务"
    message_en = "The person already holds this office in this seat"


class TermEnded(Conflict):
    code = "office.term_ended"
    message_zh = "该任期已结束"
    message_en = "The term has already ended"


class EndBeforeStart(BusinessRuleViolation):
    code = "office.end_before_start"
    message_zh = "任期结束日期不能早于开始日期"
    message_en = "A term cannot end before it starts"


class SelfAppointment(Forbidden):
    """Self-dealing: nobody grants themselves the role an office carries."""

    code = "office.self_appointment"
    message_zh = "不能任命本人担任附带角色授权的职务"
    message_en = "You cannot appoint yourself to an office that carries a role"
