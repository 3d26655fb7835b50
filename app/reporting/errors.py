"""Errors of the KPI reports (``/stats``), each with a stable dotted code."""

from app.errors import AppError, BusinessRuleViolation, NotFound


class InvalidPeriod(BusinessRuleViolation):
    code = "stats.invalid_period"
    message_zh = "统计期间无效"
    message_en = "The reporting period is invalid"


class KpiSettingsInvalid(AppError):
    """``kpi_setting`` lacks a key or holds a value of the wrong shape (a deployment fault)."""

    status = 500
    code = "stats.settings_invalid"
    message_zh = "考核指标配置（kpi_setting）缺失或格式错误"
    message_en = "The KPI configuration (kpi_setting) is missing or malformed"


class EffectiveDateOutOfRange(BusinessRuleViolation):
    """A version takes effect today or later: history is never rewritten."""

    code = "stats.settings_effective_date"
    message_zh = "生效日期须为今天至一年内的某日（历史口径不可改写）"
    message_en = "A version takes effect today or within a year (history is not rewritten)"


class KpiSettingsVersionNotFound(NotFound):
    message_zh = "考核口径版本不存在"
    message_en = "The KPI settings version does not exist"


class BulletinNotFound(NotFound):
    message_zh = "通报不存在"
    message_en = "The bulletin does not exist"
