"""Errors of the KPI reports (``/stats``), each with a stable dotted code."""

from app.errors import AppError, BusinessRuleViolation


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
