from app.errors import NotFound


class AuditEventNotFound(NotFound):
    code = "audit_event.not_found"
    message_zh = "审计记录不存在"
    message_en = "The audit event does not exist"
