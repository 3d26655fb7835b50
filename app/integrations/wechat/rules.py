"""What a subscribe message says: the configured template's fields filled from the
event, each cut to what WeChat accepts for its kind of key (``thing`` 20 characters,
``phrase`` 5 …), so a long title never gets the message refused (47003). Pure."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.config import WechatTemplate
from app.kit import templates
from app.kit.calendar import BUSINESS_TZ

KEY_LIMITS = {
    "thing": 20,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "phrase": 5,
    "name": 10,
    "amount": 32,
    "phone_number": 17,
    "car_number": 8,
    "time": 30,
    "date": 30,
}
"""WeChat's limits per kind of template key (the key is the kind and a number:
``thing2``). A key of an unknown kind is cut at 20."""


def _limit(key: str) -> int:
    return KEY_LIMITS.get(key.rstrip("0123456789"), 20)


def context(payload: Mapping[str, Any], occurred_at: datetime) -> dict[str, Any]:
    """The event's fields, plus ``time`` and ``date`` where it happened (Asia/Shanghai)."""
    local = occurred_at.astimezone(BUSINESS_TZ)
    return {
        **payload,
        "time": local.strftime("%Y-%m-%d %H:%M"),
        "date": local.strftime("%Y-%m-%d"),
    }


def data(template: WechatTemplate, values: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """``{"thing2": {"value": "楼道灯不亮"}, …}`` as ``subscribeMessage.send`` takes it."""
    return {
        key: {"value": templates.fill(pattern, values, limit=_limit(key), value_limit=200)}
        for key, pattern in template.fields.items()
    }


def page(template: WechatTemplate, values: Mapping[str, Any]) -> str | None:
    if template.page is None:
        return None
    return templates.fill(template.page, values, limit=500, value_limit=100)
