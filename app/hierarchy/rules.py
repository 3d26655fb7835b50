"""Pure rules of the five-level hierarchy (五级组织体系): levels, codes, contacts.

No database here: the service and the importer share these checks.
"""

import re
from typing import Final

# ``town_id`` … ``household_id``, top down, one per level; re-exported for the rules' users.
from app.db.base import ANCESTOR_COLUMNS as ANCESTOR_COLUMNS
from app.hierarchy.models import LEVELS, OrgLevel
from app.kit.phone import InvalidMobile, normalize_mobile

CODE_PATTERN: Final = r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$"
"""Codes are keys for government systems: letters, digits, ``_``, ``.``, ``-``."""
_CODE_RE: Final = re.compile(CODE_PATTERN)

# Landlines with an optional area code and extension (0755-12345678-123), and
# short service numbers such as 12345 or 400/800 hotlines; separators are dropped.
_LANDLINE_RE: Final = re.compile(r"(0\d{2,3})?[2-9]\d{6,7}(\d{1,6})?")
_HOTLINE_RE: Final = re.compile(r"(400|800)\d{7}|1\d{4}|9\d{4}")
_SEPARATORS: Final = re.compile(r"[\s\-()（）]")


def level_index(level: str) -> int:
    return LEVELS.index(OrgLevel(level))


def parent_level(level: str) -> OrgLevel | None:
    """The level a parent must have; None for towns, which are roots."""
    index = level_index(level)
    return LEVELS[index - 1] if index else None


def fits_under(level: str, parent: str) -> bool:
    return parent_level(level) == parent


def valid_code(code: str) -> bool:
    return bool(_CODE_RE.fullmatch(code))


def normalize_contact_phone(raw: str) -> str:
    """A mobile (bare 11 digits) or a landline / hotline kept as written, loosely checked.

    Raises ``ValueError`` when it is neither.
    """
    try:
        return normalize_mobile(raw)
    except InvalidMobile:
        pass
    digits = _SEPARATORS.sub("", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    if _LANDLINE_RE.fullmatch(digits) or _HOTLINE_RE.fullmatch(digits):
        return raw.strip()
    raise ValueError("not a mobile or landline number")


def ancestor_ids(
    level: str, own_id: int, parent_ids: tuple[int | None, ...]
) -> dict[str, int | None]:
    """The ancestor columns of a node: its parent's above its level, itself at it, null below.

    ``parent_ids`` are the parent's five ancestor columns (all null for a town).
    """
    index = level_index(level)
    values: list[int | None] = [*parent_ids[:index], own_id, *([None] * (4 - index))]
    return dict(zip(ANCESTOR_COLUMNS, values, strict=True))


def columns_above(level: str, parent_ids: tuple[int | None, ...]) -> dict[str, int | None]:
    """What a move rewrites on every row of the moved subtree: the columns above the
    node's level. Its own column (its id) and those below stay as they are."""
    index = level_index(level)
    return dict(zip(ANCESTOR_COLUMNS[:index], parent_ids[:index], strict=True))
