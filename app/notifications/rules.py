"""Filling a rule's words from an event: pure, no I/O.

A template names event fields in braces (``{number}``, ``{title}``); a field the
event lacks reads as empty rather than failing, and every value is cut short, so
no event can break or flood an inbox.
"""

import string
from collections.abc import Mapping
from typing import Any

MAX_VALUE = 60
LINK_FIELDS = (
    "order_id",
    "number",
    "transaction_id",
    "redemption_id",
    "subscription_id",
    "department_id",
)
"""Fields of the event copied into a notification's ``data``, for the client to link."""


class _Lenient(string.Formatter):
    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        value = kwargs.get(str(key))
        if value is None or isinstance(value, dict | list):
            return ""
        return str(value)[:MAX_VALUE]

    def get_field(self, field_name: str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        # Only plain names: "{a.b}" or "{a[0]}" would reach into objects.
        return self.get_value(field_name.split(".")[0].split("[")[0], args, kwargs), field_name


_FORMATTER = _Lenient()


def fill(template: str, context: Mapping[str, Any], *, limit: int) -> str:
    try:
        text = _FORMATTER.vformat(template, (), context)
    except (ValueError, IndexError):  # an unbalanced brace in a rule: show it as it is
        text = template
    return text[:limit]


def links(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {key: payload[key] for key in LINK_FIELDS if payload.get(key) is not None}
