"""Errors of the community shop (爱心超市 / 幸福超市), each with a stable code."""

from app.errors import BusinessRuleViolation, Conflict, NotFound


class RewardNotFound(NotFound):
    code = "reward.not_found"
    message_zh = "兑换商品不存在"
    message_en = "The reward does not exist"


class ShopUnitNotFound(NotFound):
    code = "reward.unit_not_found"
    message_zh = "组织节点不存在"
    message_en = "The org unit does not exist"


class InvalidShopUnit(BusinessRuleViolation):
    code = "reward.invalid_unit"
    message_zh = "积分超市只能设在未归档的镇（街道）或社区"
    message_en = "A shop belongs to a town or community that is not archived"


class InvalidActiveWindow(BusinessRuleViolation):
    code = "reward.invalid_window"
    message_zh = "上架结束时间须晚于开始时间"
    message_en = "The active window must end after it starts"


class StockTooLarge(BusinessRuleViolation):
    code = "reward.stock_too_large"
    message_zh = "补货后库存超出上限"
    message_en = "The stock would exceed its maximum"


class OutOfStock(Conflict):
    code = "reward.out_of_stock"
    message_zh = "该商品已兑完"
    message_en = "The reward is out of stock"


class RewardInactive(Conflict):
    code = "reward.inactive"
    message_zh = "该商品未上架或不在兑换时间内"
    message_en = "The reward is not on offer now"


class RewardChanged(Conflict):
    """The price or window changed while the request was paying; retrying sees it."""

    code = "reward.changed"
    message_zh = "商品信息刚刚发生变化，请刷新后重试"
    message_en = "The reward changed meanwhile; reload it and try again"


class RedemptionNotFound(NotFound):
    code = "redemption.not_found"
    message_zh = "兑换记录不存在"
    message_en = "The redemption does not exist"


class RedemptionNotPending(Conflict):
    code = "redemption.not_pending"
    message_zh = "该兑换已领取或已取消"
    message_en = "The redemption was already handed over or cancelled"


class DuplicateRedemption(Conflict):
    """The ledger already holds a redemption under this caller's Idempotency-Key."""

    code = "redemption.duplicate"
    message_zh = "该幂等键已用于另一笔兑换"
    message_en = "This Idempotency-Key already paid for another redemption"
