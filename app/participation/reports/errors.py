"""Errors of the participation reports."""

from app.errors import BusinessRuleViolation, NotFound


class NodeNotFound(NotFound):
    code = "participation_report.org_unit_not_found"
    message_zh = "组织不存在"
    message_en = "The org unit does not exist"


class PersonNotFound(NotFound):
    code = "participation_report.person_not_found"
    message_zh = "人员不存在"
    message_en = "The person does not exist"


class EvaluationLevel(BusinessRuleViolation):
    """双考评 compares units and communities: it is read at a town or a community."""

    code = "participation_report.town_or_community"
    message_zh = "双考评按镇(街道)或社区统计"
    message_en = "The dual evaluation is read at a town or a community"
