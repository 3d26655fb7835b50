"""Errors of ``/webhooks``, each with a stable code."""

from app.errors import BusinessRuleViolation, Conflict, NotFound


class WebhookNotFound(NotFound):
    code = "webhook.not_found"
    message_zh = "Webhook 订阅不存在"
    message_en = "The webhook subscription does not exist"


class DeliveryNotFound(NotFound):
    code = "webhook.delivery_not_found"
    message_zh = "投递记录不存在"
    message_en = "The delivery does not exist"


class UnsafeUrl(BusinessRuleViolation):
    """OWASP API7 (SSRF): the receiver URL may not be called from our servers."""

    code = "webhook.unsafe_url"
    message_zh = "接收地址须为 https，且不能指向内网、回环或链路本地地址"
    message_en = (
        "The receiver URL must be https and must not resolve to a private, loopback "
        "or link-local address"
    )


class ArchivedUnit(BusinessRuleViolation):
    code = "webhook.archived_unit"
    message_zh = "不能订阅已归档的组织节点"
    message_en = "An archived org unit cannot be subscribed to"


class DeliveryPending(Conflict):
    code = "webhook.delivery_pending"
    message_zh = "该投递仍在等待重试，无需重新投递"
    message_en = "The delivery is still waiting for its next attempt"
