"""Errors of ``/notifications``."""

from app.errors import Forbidden, NotFound


class NotificationNotFound(NotFound):
    code = "notification.not_found"
    message_zh = "通知不存在"
    message_en = "The notification does not exist"


class NoInbox(Forbidden):
    code = "notification.no_inbox"
    message_zh = "接入应用没有通知收件箱"
    message_en = "Integration clients have no inbox"
