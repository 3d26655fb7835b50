"""Errors of resident onboarding."""

from app.errors import AppError, BusinessRuleViolation, Conflict, Forbidden, NotFound


class NotAUser(Forbidden):
    code = "onboarding.not_a_user"
    message_zh = "接入应用不能注册为居民"
    message_en = "Integration clients cannot onboard as residents"


class PhoneCodeInvalid(BusinessRuleViolation):
    code = "onboarding.phone_code_invalid"
    message_zh = "手机号授权凭证无效、已过期或已使用"
    message_en = "The phone-number code is invalid, expired or already used"


class WechatUnavailable(AppError):
    status = 502
    code = "onboarding.wechat_unavailable"
    message_zh = "微信服务暂不可用，请稍后再试"
    message_en = "WeChat is unavailable; try again later"


class AlreadyOnboarded(Conflict):
    code = "onboarding.already_onboarded"
    message_zh = "该账号已关联居民身份"
    message_en = "This account is already linked to a person"


class PersonTaken(Conflict):
    code = "onboarding.person_taken"
    message_zh = "该手机号对应的居民已绑定其他账号，请联系网格员"
    message_en = "The person with this number is bound to another account; ask the grid worker"


class RegistrationPending(Conflict):
    code = "onboarding.registration_pending"
    message_zh = "已有待核实的登记"
    message_en = "A registration is already awaiting verification"


class NotAHousehold(BusinessRuleViolation):
    code = "onboarding.not_a_household"
    message_zh = "请选择社区下的楼栋或户"
    message_en = "Pick a building or household below a community"


class UnitNotFound(NotFound):
    code = "onboarding.unit_not_found"
    message_zh = "地址不存在"
    message_en = "No such address"


class RegistrationNotFound(NotFound):
    code = "onboarding.registration_not_found"
    message_zh = "登记不存在"
    message_en = "No such registration"


class RegistrationDecided(Conflict):
    code = "onboarding.registration_decided"
    message_zh = "该登记已处理"
    message_en = "This registration has already been decided"


class InvitationInvalid(BusinessRuleViolation):
    code = "onboarding.invitation_invalid"
    message_zh = "邀请码无效、已过期或已使用"
    message_en = "The invitation code is invalid, expired or already used"


class HouseholdNotFound(NotFound):
    code = "onboarding.household_not_found"
    message_zh = "户不存在或不在您的范围内"
    message_en = "The household does not exist or is outside your scope"
