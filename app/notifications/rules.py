"""Filling a rule's words from an event: pure, no I/O.

A template names event fields in braces (``{number}``, ``{title}``); a field the
event lacks reads as empty rather than failing, and every value is cut short, so
no event can break or flood an inbox.
"""

from collections.abc import Mapping
from typing import Any

from app.kit import templates

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


def fill(template: str, context: Mapping[str, Any], *, limit: int) -> str:
    return templates.fill(template, context, limit=limit, value_limit=MAX_VALUE)


def links(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {key: payload[key] for key in LINK_FIELDS if payload.get(key) is not None}
