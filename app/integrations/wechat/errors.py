"""Errors of ``/me/wechat-subscriptions``."""

from app.errors import BusinessRuleViolation, Forbidden


class UnknownApp(BusinessRuleViolation):
    code = "wechat.unknown_app"
    message_zh = "未配置该小程序"
    message_en = "This mini-program is not configured"


class NotSignedInWithWechat(BusinessRuleViolation):
    code = "wechat.no_identity"
    message_zh = "当前账号未通过该小程序登录，无法接收订阅消息"
    message_en = "This account has not signed in through this mini-program"


class NoWechatAccount(Forbidden):
    code = "wechat.not_a_user"
    message_zh = "接入应用不能订阅消息"
    message_en = "Integration clients cannot subscribe to messages"
