"""Errors of questionnaires and evaluations."""

from app.errors import BusinessRuleViolation, Conflict, NotFound


class QuestionnaireNotFound(NotFound):
    code = "questionnaire.not_found"
    message_zh = "评议问卷不存在"
    message_en = "The questionnaire does not exist"


class QuestionnaireMismatch(BusinessRuleViolation):
    """The questionnaire must reach the compound and be about this kind of body."""

    code = "evaluation.questionnaire_mismatch"
    message_zh = "问卷不适用于该小区或该评议对象"
    message_en = "The questionnaire does not apply to this compound or this kind of body"


class EvaluationNotFound(NotFound):
    code = "evaluation.not_found"
    message_zh = "评议不存在"
    message_en = "The evaluation does not exist"


class TargetNotFound(NotFound):
    code = "evaluation.target_not_found"
    message_zh = "评议对象不存在，或不是物业服务企业或业委会"
    message_en = (
        "The body evaluated does not exist or is neither a property company nor a committee"
    )


class PeriodTaken(Conflict):
    code = "evaluation.period_taken"
    message_zh = "该小区本期已对该对象开展评议"
    message_en = "This compound already evaluates this body for the period"


class EvaluationClosed(Conflict):
    code = "evaluation.closed"
    message_zh = "评议已结束或未开始"
    message_en = "The evaluation is not open"


class AnswersIncomplete(BusinessRuleViolation):
    code = "evaluation.answers_mismatch"
    message_zh = "须对问卷的每一题评分，且只能回答问卷中的题目"
    message_en = "Score every item of the questionnaire, and only those"


class AlreadyAnswered(Conflict):
    code = "evaluation.already_answered"
    message_zh = "您的住户本期已参加评议（每户一份）"
    message_en = "Your household has already answered (one answer per household)"


class ScoreNotLow(Conflict):
    code = "evaluation.score_not_low"
    message_zh = "综合得分未低于重新选聘线，不能发起重新选聘"
    message_en = "The overall score is not below the re-tender line"


class NotClosedYet(Conflict):
    code = "evaluation.not_closed"
    message_zh = "评议结束后才能据此发起五议"
    message_en = "Close the evaluation before opening a matter from it"


class RetenderOpened(Conflict):
    code = "evaluation.retender_opened"
    message_zh = "已据此评议发起过五议事项"
    message_en = "A matter was already opened from this evaluation"
