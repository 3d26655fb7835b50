"""Filling words from data someone configured: ``{name}`` takes a value from the data;
a name the data lacks reads as empty rather than failing, a structured value (a list,
an object) reads as empty too, and nothing beyond a plain name is looked up, so a
template can neither break on an event nor reach into it."""

import string
from collections.abc import Mapping
from typing import Any


class _Lenient(string.Formatter):
    def __init__(self, value_limit: int) -> None:
        self.value_limit = value_limit

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        value = kwargs.get(str(key))
        if value is None or isinstance(value, dict | list):
            return ""
        return str(value)[: self.value_limit]

    def get_field(self, field_name: str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        # Only plain names: "{a.b}" or "{a[0]}" would reach into objects.
        return self.get_value(field_name.split(".")[0].split("[")[0], args, kwargs), field_name


def fill(template: str, data: Mapping[str, Any], *, limit: int, value_limit: int = 60) -> str:
    """``template`` filled from ``data``, cut to ``limit`` characters (each value to
    ``value_limit`` first); a malformed template is returned as it is."""
    try:
        text = _Lenient(value_limit).vformat(template, (), data)
    except (ValueError, IndexError):  # an unbalanced brace: show it as written
        text = template
    return text[:limit]
