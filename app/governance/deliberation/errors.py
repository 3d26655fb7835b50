"""Errors of 五议 matters."""

from app.errors import BusinessRuleViolation, Conflict, NotFound


class MatterNotFound(NotFound):
    """Unknown, or outside what the caller may see or act on (scope rule: 404)."""

    code = "matter.not_found"
    message_zh = "事项不存在"
    message_en = "The matter does not exist"


class InvalidTransition(Conflict):
    code = "matter.invalid_transition"
    message_zh = "事项当前状态下不允许此操作"
    message_en = "This step is not allowed in the matter's current status"


class ProposerBodyNotFound(NotFound):
    code = "matter.proposer_body_not_found"
    message_zh = "提议的合作主体不存在或不在该小区"
    message_en = "The proposing body does not exist or is not linked to the compound"


class PositionBodyNotFound(NotFound):
    code = "matter.position_body_not_found"
    message_zh = "发表意见的合作主体不存在"
    message_en = "The body stating the position does not exist"


class VoteWindowInvalid(BusinessRuleViolation):
    code = "matter.vote_window"
    message_zh = "投票截止时间须晚于现在"
    message_en = "The vote must close in the future"


class VoteNotOpen(Conflict):
    code = "matter.vote_not_open"
    message_zh = "不在投票时间内"
    message_en = "The vote is not open"


class VoteStillOpen(Conflict):
    code = "matter.vote_still_open"
    message_zh = "投票尚未截止"
    message_en = "The vote is still open"


class VoteSealed(Conflict):
    """The choices are published only after the vote closed."""

    code = "matter.vote_sealed"
    message_zh = "投票结束后才公布计票明细"
    message_en = "The counted votes are published once the vote has closed"


class AlreadyVoted(Conflict):
    code = "matter.already_voted"
    message_zh = "您的住户已投过票（每户一票）"
    message_en = "Your household has already voted (one vote per household)"


class ReceiptUnknown(NotFound):
    code = "matter.receipt_unknown"
    message_zh = "未找到该投票回执"
    message_en = "No vote was counted under this receipt"


class AlreadyRated(Conflict):
    code = "matter.already_rated"
    message_zh = "您的住户已评议过（每户一次）"
    message_en = "Your household has already rated this matter (once per household)"
