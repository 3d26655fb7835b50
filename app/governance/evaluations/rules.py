"""Scoring an evaluation (评议), without a database.

Each household scores every item 1–5 (5 非常满意 … 1 非常不满意). An item's score is
its mean answer × 20 (so 0–100); the overall score is the weighted mean of the item
scores, by the questionnaire's weights. Both are computed from the exact means and
rounded once, half up, to two places — the same numbers anyone gets counting the
answers by hand.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

SCALE = Decimal(20)
"""A 1–5 answer to a 0–100 score."""
_TWO = Decimal("0.01")
PERIOD = re.compile(r"^\d{4}(Q[1-4]|H[12])?$")
"""``2026``, ``2026H2`` or ``2026Q3``."""


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    weight: int


@dataclass(frozen=True)
class ItemScore:
    item: Item
    answers: int
    total: int
    mean: Decimal | None
    """Mean answer (1–5), two places."""
    score: Decimal | None
    """Mean × 20 (0–100), two places."""


@dataclass(frozen=True)
class Scores:
    responses: int
    items: list[ItemScore]
    overall: Decimal | None


def _two(value: Decimal) -> Decimal:
    return value.quantize(_TWO, rounding=ROUND_HALF_UP)


def score(items: Sequence[Item], sums: Mapping[str, tuple[int, int]], responses: int) -> Scores:
    """``sums``: item code → (sum of answers, answers)."""
    scored = []
    weighted, weights = Decimal(0), 0
    for item in items:
        total, count = sums.get(item.code, (0, 0))
        if count == 0:
            scored.append(ItemScore(item, 0, 0, None, None))
            continue
        mean = Decimal(total) / Decimal(count)
        scored.append(ItemScore(item, count, total, _two(mean), _two(mean * SCALE)))
        weighted += mean * SCALE * item.weight
        weights += item.weight
    overall = _two(weighted / weights) if weights else None
    return Scores(responses=responses, items=scored, overall=overall)


def ranks(values: Sequence[Decimal | None]) -> list[int | None]:
    """Competition ranking, highest first (1, 2, 2, 4); no score, no rank."""
    present = sorted((v for v in values if v is not None), reverse=True)
    return [None if v is None else present.index(v) + 1 for v in values]
